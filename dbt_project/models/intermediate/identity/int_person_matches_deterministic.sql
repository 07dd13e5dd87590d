{#- Deterministic person match edges (undirected, one row per pair and rule):
    - email: same normalised e-mail (an address is a person, free-mail included, except a
      free-mail address seen at two companies); each record links to the group's first
      record, so the edges form a star;
    - salesforce_conversion: a converted lead to its ConvertedContactId;
    - marketo_sfdc_link: a Marketo lead to the Salesforce lead/contact its CRM sync stored.
    Links to records that do not exist (deleted, not yet extracted) are dropped. -#}
with records as (
    select * from {{ ref('int_person_records') }}
),

-- A free-mail address seen at two different companies is two people who typed the same
-- private address (or a shared family account): split it by company, leave records
-- without a company to the probabilistic pass.
email_companies as (
    select email_normalized, count(distinct company_name_normalized) as company_count
    from records
    where email_normalized is not null
    group by email_normalized
),

email_keyed as (
    select
        records.node_id,
        case
            when records.is_free_mail and email_companies.company_count > 1
                then records.email_normalized || '|' || records.company_name_normalized
            else records.email_normalized
        end as email_key
    from records
    inner join email_companies on records.email_normalized = email_companies.email_normalized
),

email_groups as (
    select
        node_id,
        min(node_id) over (partition by email_key) as group_first_node_id
    from email_keyed
    where email_key is not null
),

email_edges as (
    select group_first_node_id as left_node_id, node_id as right_node_id, 'email' as matched_by
    from email_groups
    where node_id <> group_first_node_id
),

conversion_edges as (
    select
        records.node_id as left_node_id,
        'salesforce_contact:' || records.linked_salesforce_contact_id as right_node_id,
        'salesforce_conversion' as matched_by
    from records
    where records.source_system = 'salesforce_lead'
        and records.linked_salesforce_contact_id is not null
),

marketo_edges as (
    select
        node_id as left_node_id,
        'salesforce_lead:' || linked_salesforce_lead_id as right_node_id,
        'marketo_sfdc_link' as matched_by
    from records
    where source_system = 'marketo_lead' and linked_salesforce_lead_id is not null

    union all

    select
        node_id,
        'salesforce_contact:' || linked_salesforce_contact_id,
        'marketo_sfdc_link'
    from records
    where source_system = 'marketo_lead' and linked_salesforce_contact_id is not null
),

all_edges as (
    select * from email_edges
    union all
    select * from conversion_edges
    union all
    select * from marketo_edges
)

select distinct all_edges.left_node_id, all_edges.right_node_id, all_edges.matched_by
from all_edges
inner join records as right_records on all_edges.right_node_id = right_records.node_id
where all_edges.left_node_id <> all_edges.right_node_id
