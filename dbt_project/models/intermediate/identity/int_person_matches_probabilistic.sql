{#- Probabilistic person matching over the residue: records the deterministic rules left
    alone, compared with every record of another group that shares a blocking key (phone,
    normalised company name or corporate domain). Evidence adds log-odds (Fellegi-Sunter
    style) and becomes a probability:
      prior                                   -6.5
      name Jaro-Winkler >= 0.97 / >= 0.90      +5.0 / +2.5, else -5.0 (either name order)
      e-mail local part equal / different      +3.0 / -1.0 (when both have an e-mail)
      both corporate e-mail domains, different -4.0 (two employers' mailboxes: an agency
                                               person naming a client is not the client's
                                               namesake)
      same company (name or corporate domain)  +2.5; clearly different company names -2.0
      same phone                               +2.0, but +0.5 for a number shared by
                                               several corporate domains (a switchboard)
    p >= var identity_auto_merge_threshold merges (only the best candidate of each residue
    record, so one record never bridges two people); [identity_review_threshold, auto) goes
    to the review queue. Wrong merges cost more than missed ones: the weights are set so
    that a name alone never reaches the review band. -#}
with records as (
    select * from {{ ref('int_person_records') }}
),

clusters as (
    select * from {{ ref('int_person_clusters_deterministic') }}
),

shared_phones as (
    -- a number seen with several corporate domains: a building's switchboard
    select phone_normalized
    from records
    where phone_normalized is not null and company_domain is not null
    group by phone_normalized
    having count(distinct company_domain) > 1
),

residue as (
    select records.*
    from records
    inner join clusters on records.node_id = clusters.node_id
    where clusters.is_residue
),

candidates as (
    select
        records.*,
        clusters.is_residue as right_is_residue
    from records
    inner join clusters on records.node_id = clusters.node_id
),

blocked_pairs as (
    select residue.node_id as left_node_id, candidates.node_id as right_node_id
    from residue
    inner join candidates on residue.phone_normalized = candidates.phone_normalized
    union
    select residue.node_id, candidates.node_id
    from residue
    inner join candidates on residue.company_name_normalized = candidates.company_name_normalized
    union
    select residue.node_id, candidates.node_id
    from residue
    inner join candidates on residue.company_domain = candidates.company_domain
),

pairs as (
    select
        l.node_id as left_node_id,
        r.node_id as right_node_id,
        l.source_system as left_source_system,
        l.source_id as left_source_id,
        r.source_system as right_source_system,
        r.source_id as right_source_id,
        greatest(
            {{ name_similarity('l.name_last_first', 'r.name_last_first') }},
            {{ name_similarity('l.name_last_first', 'r.name_first_last') }}
        ) as name_similarity,
        case
            when l.email_local_part is null or r.email_local_part is null then null
            else l.email_local_part = r.email_local_part
        end as is_same_email_local_part,
        coalesce(
            l.company_name_normalized = r.company_name_normalized
            or l.company_domain = r.company_domain,
            false
        ) as is_same_company,
        coalesce(
            {{ name_similarity('l.company_name_normalized', 'r.company_name_normalized') }} < 0.85,
            false
        ) as is_different_company,
        coalesce(
            not l.is_free_mail and not r.is_free_mail and l.email_domain <> r.email_domain,
            false
        ) as is_different_corporate_mailbox,
        coalesce(l.phone_normalized = r.phone_normalized, false) as is_same_phone,
        l.phone_normalized in (select phone_normalized from shared_phones) as is_shared_phone
    from blocked_pairs
    inner join residue as l on blocked_pairs.left_node_id = l.node_id
    inner join candidates as r on blocked_pairs.right_node_id = r.node_id
    where l.node_id <> r.node_id
        -- both residue: score each unordered pair once
        and (not r.right_is_residue or l.node_id < r.node_id)
        and l.name_last_first is not null
        and r.name_last_first is not null
),

scored as (
    select
        *,
        -6.5
        + case
            when name_similarity >= 0.97 then 5.0
            when name_similarity >= 0.90 then 2.5
            else -5.0
        end
        + case
            when is_same_email_local_part then 3.0
            when not is_same_email_local_part then -1.0
            else 0.0
        end
        + case when is_different_corporate_mailbox then -4.0 else 0.0 end
        + case when is_same_company then 2.5 when is_different_company then -2.0 else 0.0 end
        + case
            when is_same_phone and coalesce(is_shared_phone, false) then 0.5
            when is_same_phone then 2.0
            else 0.0
        end as log_odds
    from pairs
),

probabilities as (
    select
        *,
        round(1.0 / (1.0 + exp(-log_odds)), 4) as match_probability,
        concat_ws(
            ', ',
            'name similarity ' || round(name_similarity, 3),
            case when is_same_email_local_part then 'same e-mail local part'
                 when not is_same_email_local_part then 'different e-mail local part' end,
            case when is_different_corporate_mailbox then 'different corporate mail domains' end,
            case when is_same_company then 'same company'
                 when is_different_company then 'different company' end,
            case when is_same_phone and coalesce(is_shared_phone, false) then 'same phone (shared switchboard)'
                 when is_same_phone then 'same phone' end
        ) as reason
    from scored
)

select
    left_node_id,
    right_node_id,
    left_source_system,
    left_source_id,
    right_source_system,
    right_source_id,
    name_similarity,
    is_same_email_local_part,
    is_same_company,
    is_same_phone,
    match_probability,
    reason,
    case
        when match_probability >= {{ var('identity_auto_merge_threshold') }}
            and row_number() over (
                partition by left_node_id order by match_probability desc, right_node_id
            ) = 1
            then 'auto_merge'
        when match_probability >= {{ var('identity_review_threshold') }} then 'review'
        else 'distinct'
    end as decision
from probabilities
where match_probability >= {{ var('identity_review_threshold') }}
