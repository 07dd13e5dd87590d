{#- Deterministic account match edges (undirected, one row per pair and rule): the keys
    domain.md calls deterministic, and nothing weaker.
    - salesforce_link: the CRM's own links: a converted lead's ConvertedAccountId, a
      Marketo lead's synced contact's AccountId;
    - marketo_sfdc_link: a Marketo lead and the Salesforce lead its CRM sync stored (one
      lead in two systems names one company);
    - corporate_number: the same 13-digit 法人番号;
    - domain_phone: the same corporate web domain AND the same phone (one company's
      departments and several Salesforce accounts of it are one account).
    A record the CRM already links (first two rules) takes its account from the link only:
    it never bridges key groups, so an agency lead converted onto a client's account cannot
    chain the agency to the client. A domain + phone that records of two different
    corporate numbers share (group companies behind one switchboard) is ambiguous and links
    nothing. Each key links its records to the key group's first record (a star). Domain
    only, name only and phone only are evidence for int_account_matches_probabilistic, never
    a merge here. -#}
with records as (
    select * from {{ ref('int_account_records') }}
),

linked as (
    select
        records.node_id as left_node_id,
        'salesforce_account:' || records.linked_salesforce_account_id as right_node_id,
        'salesforce_link' as matched_by
    from records
    where records.linked_salesforce_account_id is not null

    union all

    select
        records.node_id,
        'salesforce_lead:' || records.linked_salesforce_lead_id,
        'marketo_sfdc_link'
    from records
    where records.source_system = 'marketo_lead'
      and records.linked_salesforce_account_id is null
      and records.linked_salesforce_lead_id is not null
),

link_edges as (
    -- links to records that exist (deleted / not yet extracted targets link nothing)
    select linked.*
    from linked
    inner join records as targets on linked.right_node_id = targets.node_id
),

unlinked as (
    select records.*
    from records
    where records.node_id not in (select left_node_id from link_edges)
),

keyed as (
    select node_id, 'corporate_number' as matched_by, corporate_number as match_key,
           corporate_number
    from unlinked
    where corporate_number is not null

    union all

    select node_id, 'domain_phone', company_domain || '|' || phone_normalized, corporate_number
    from unlinked
    where company_domain is not null and phone_normalized is not null
),

unambiguous_keys as (
    select matched_by, match_key
    from keyed
    group by matched_by, match_key
    having count(distinct corporate_number) <= 1
),

key_edges as (
    select
        min(keyed.node_id) over (partition by keyed.matched_by, keyed.match_key) as left_node_id,
        keyed.node_id as right_node_id,
        keyed.matched_by
    from keyed
    inner join unambiguous_keys
        on keyed.matched_by = unambiguous_keys.matched_by
        and keyed.match_key = unambiguous_keys.match_key
)

select left_node_id, right_node_id, matched_by
from key_edges
where left_node_id <> right_node_id

union all

select left_node_id, right_node_id, matched_by
from link_edges
where left_node_id <> right_node_id
