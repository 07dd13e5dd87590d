{#- Probabilistic account matching between the groups the deterministic rules formed (a
    lone record is a group of one): two groups are compared through their distinct (name,
    domain, phone, legal form) profiles when a profile of each shares a normalised company
    name, a corporate domain or a phone. The best pair of profiles is the evidence; it adds
    log-odds (Fellegi-Sunter style) and becomes a probability:
      prior                                              -4.0
      same normalised name / both named, different        +5.0 / -3.0; +7.5 for a distinctive
                                                          name: every record that names it and
                                                          has a corporate domain has the same
                                                          one (term-frequency weighting: a
                                                          look-alike or an agency naming a
                                                          client shows a second domain)
      same corporate domain                               +4.0, but +1.5 when the domain
                                                          is shared by several company names
                                                          (group companies, an agency naming
                                                          clients) and the names differ
      both have a corporate domain, different             -2.0
      same phone                                          +3.0, but +1.0 when the number is
                                                          shared by several corporate
                                                          domains (one switchboard for a
                                                          building) and the names differ
      the pair shares no number and one side's number is  -4.0 (an agency person's free-mail
      mainly a third group's (the group holding it on the      lead naming a client but giving
      most records; switchboards belong to nobody)             the agency's number)
      both state a legal form, different groups           -6.0 (株式会社 vs 有限会社)
    Groups carrying different corporate numbers are never candidates. So name + domain or
    name + phone merges (p 0.99 / 0.98), while domain only and phone only never reach the
    auto-merge band and a name alone only when it is distinctive (p 0.97; else 0.73, review);
    a switchboard or an agency's domain barely counts. Wrong merges cost more than missed ones. Pairs with
    p >= var identity_account_auto_merge_threshold merge; [identity_account_review_threshold,
    auto) go to the review queue. A chain of merges that would still join two corporate
    numbers is undone in int_account_identities. -#}
{%- set auto = var('identity_account_auto_merge_threshold') -%}
{%- set review = var('identity_account_review_threshold') -%}
with records as (
    select * from {{ ref('int_account_records') }}
),

clusters as (
    select * from {{ ref('int_account_clusters_deterministic') }}
),

clustered as (
    select records.*, clusters.cluster_key, clusters.is_residue
    from records
    inner join clusters on records.node_id = clusters.node_id
),

cluster_numbers as (
    select cluster_key, max(corporate_number) as corporate_number
    from clustered
    group by cluster_key
),

profiles as (
    select distinct
        cluster_key, company_name_normalized, company_domain, phone_normalized, legal_form_group
    from clustered
),

domain_names as (
    -- a domain seen with several company names: group companies, an agency naming clients
    select company_domain, count(distinct company_name_normalized) > 1 as is_shared_domain
    from records
    where company_domain is not null
    group by company_domain
),

name_domains as (
    -- a name seen with one corporate domain only is one company's (a look-alike or an
    -- agency naming a client adds a second)
    select company_name_normalized, count(distinct company_domain) = 1 as is_distinctive_name
    from records
    where company_name_normalized is not null
    group by company_name_normalized
),

phone_domains as (
    -- a number seen with several corporate domains: a building's switchboard
    select phone_normalized, count(distinct company_domain) > 1 as is_shared_phone
    from records
    where phone_normalized is not null
    group by phone_normalized
),

phone_owners as (
    -- the group a number mainly belongs to: the one holding it on the most records (a
    -- switchboard shared by several corporate domains belongs to nobody)
    select
        phone_normalized,
        {{ min_by('cluster_key', "lpad(cast(1000000000 - records as " ~ dbt.type_string() ~ "), 10, '0') || cluster_key") }}
            as owner_cluster_key
    from (
        select clustered.phone_normalized, clustered.cluster_key, count(*) as records
        from clustered
        inner join phone_domains on clustered.phone_normalized = phone_domains.phone_normalized
        where not phone_domains.is_shared_phone
        group by clustered.phone_normalized, clustered.cluster_key
    ) as holders
    group by phone_normalized
),

cluster_profiles as (
    select profiles.*, cluster_numbers.corporate_number
    from profiles
    inner join cluster_numbers on profiles.cluster_key = cluster_numbers.cluster_key
),

blocked as (
    select l.cluster_key as left_cluster_key, r.cluster_key as right_cluster_key,
           l.company_name_normalized as l_name, r.company_name_normalized as r_name,
           l.company_domain as l_domain, r.company_domain as r_domain,
           l.phone_normalized as l_phone, r.phone_normalized as r_phone,
           l.legal_form_group as l_form, r.legal_form_group as r_form,
           l.corporate_number as l_number, r.corporate_number as r_number
    from cluster_profiles as l
    inner join cluster_profiles as r
        on l.company_name_normalized = r.company_name_normalized
        and l.cluster_key < r.cluster_key
    union
    select l.cluster_key, r.cluster_key, l.company_name_normalized, r.company_name_normalized,
           l.company_domain, r.company_domain, l.phone_normalized, r.phone_normalized,
           l.legal_form_group, r.legal_form_group, l.corporate_number, r.corporate_number
    from cluster_profiles as l
    inner join cluster_profiles as r
        on l.company_domain = r.company_domain and l.cluster_key < r.cluster_key
    union
    select l.cluster_key, r.cluster_key, l.company_name_normalized, r.company_name_normalized,
           l.company_domain, r.company_domain, l.phone_normalized, r.phone_normalized,
           l.legal_form_group, r.legal_form_group, l.corporate_number, r.corporate_number
    from cluster_profiles as l
    inner join cluster_profiles as r
        on l.phone_normalized = r.phone_normalized and l.cluster_key < r.cluster_key
),

pairs as (
    select
        blocked.left_cluster_key,
        blocked.right_cluster_key,
        coalesce(l_name = r_name, false) as is_same_name,
        coalesce(l_name <> r_name, false) as is_different_name,
        coalesce(l_domain = r_domain, false) as is_same_domain,
        coalesce(l_domain <> r_domain, false) as is_different_domain,
        coalesce(l_phone = r_phone, false) as is_same_phone,
        coalesce(l_form <> r_form, false) as is_legal_form_conflict,
        coalesce(domain_names.is_shared_domain, false) as is_shared_domain,
        coalesce(phone_domains.is_shared_phone, false) as is_shared_phone,
        coalesce(name_domains.is_distinctive_name, false) as is_distinctive_name,
        -- a side gives a number that is mainly a third group's (its own group's records say
        -- it is someone else's; it only counts when the pair shares no number)
        coalesce(
            l_owner.owner_cluster_key not in (blocked.left_cluster_key, blocked.right_cluster_key),
            false
        )
        or coalesce(
            r_owner.owner_cluster_key not in (blocked.left_cluster_key, blocked.right_cluster_key),
            false
        ) as is_phone_elsewhere
    from blocked
    left join domain_names on blocked.l_domain = domain_names.company_domain
    left join name_domains on blocked.l_name = name_domains.company_name_normalized
    left join phone_owners as l_owner on blocked.l_phone = l_owner.phone_normalized
    left join phone_owners as r_owner on blocked.r_phone = r_owner.phone_normalized
    left join phone_domains on blocked.l_phone = phone_domains.phone_normalized
    -- two corporate numbers are two companies, whatever else they share
    where not coalesce(l_number <> r_number, false)
),

scored as (
    select
        *,
        -4.0
        + case
            when is_same_name and is_distinctive_name then 7.5
            when is_same_name then 5.0
            when is_different_name then -3.0
            else 0.0
        end
        + case
            when is_same_domain and is_shared_domain and not is_same_name then 1.5
            when is_same_domain then 4.0
            when is_different_domain then -2.0
            else 0.0
        end
        + case
            when is_same_phone and is_shared_phone and not is_same_name then 1.0
            when is_same_phone then 3.0
            else 0.0
        end
        + case when is_phone_elsewhere and not is_same_phone then -4.0 else 0.0 end
        + case when is_legal_form_conflict then -6.0 else 0.0 end as log_odds
    from pairs
),

ranked as (
    -- the strongest pair of profiles of each pair of groups
    select
        *,
        round(1.0 / (1.0 + exp(-log_odds)), 4) as match_probability
    from scored
    qualify row_number() over (
        partition by left_cluster_key, right_cluster_key
        order by log_odds desc, is_same_name desc, is_same_domain desc, is_same_phone desc,
            -- equal scores: every other flag the reason is worded from, so a rebuild words
            -- it the same (tied rows are then identical in every column kept)
            is_shared_domain, is_shared_phone, is_distinctive_name, is_different_name,
            is_different_domain, is_legal_form_conflict, is_phone_elsewhere
    ) = 1
)

select
    {{ dbt.split_part('ranked.left_cluster_key', "'|'", 3) }} as left_node_id,
    {{ dbt.split_part('ranked.right_cluster_key', "'|'", 3) }} as right_node_id,
    l.source_system as left_source_system,
    l.source_id as left_source_id,
    r.source_system as right_source_system,
    r.source_id as right_source_id,
    ranked.is_same_name,
    ranked.is_same_domain,
    ranked.is_same_phone,
    ranked.is_legal_form_conflict,
    ranked.match_probability,
    concat_ws(
        ', ',
        case when ranked.is_same_name and ranked.is_distinctive_name then 'same distinctive company name'
             when ranked.is_same_name then 'same company name'
             when ranked.is_different_name then 'different company name' end,
        case when ranked.is_same_domain and ranked.is_shared_domain then 'same domain (shared by several names)'
             when ranked.is_same_domain then 'same domain'
             when ranked.is_different_domain then 'different domain' end,
        case when ranked.is_same_phone and ranked.is_shared_phone then 'same phone (shared switchboard)'
             when ranked.is_same_phone then 'same phone' end,
        case when ranked.is_phone_elsewhere and not ranked.is_same_phone then 'phone of another group' end,
        case when ranked.is_legal_form_conflict then 'different legal form' end
    ) as reason,
    case when ranked.match_probability >= {{ auto }} then 'auto_merge' else 'review' end as decision
from ranked
inner join records as l on {{ dbt.split_part('ranked.left_cluster_key', "'|'", 3) }} = l.node_id
inner join records as r on {{ dbt.split_part('ranked.right_cluster_key', "'|'", 3) }} = r.node_id
where ranked.match_probability >= {{ review }}
