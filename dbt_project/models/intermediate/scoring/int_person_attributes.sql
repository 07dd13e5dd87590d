{#- Fit attributes per person (title, department, industry, employee count), taken from
    the most authoritative record the identity bridge links: a Salesforce contact (with its
    account's industry and size) over a Salesforce lead over a Marketo lead; among records
    of one kind (two contacts merged into one person) the newest created, then the
    smallest source id: dim_people's order, so the score reads the title dim_people shows,
    and a total order, so two builds of the same data pick the same record (a tie left to
    the engine flipped a few persons' fit score between builds, and the syncs re-sent them).
    Read from staging, not dim_people, because dim_people depends on the lifecycle marts. -#}
with bridge as (
    select * from {{ ref('int_person_identities') }}
),

contacts as (
    select * from {{ ref('stg_salesforce__contacts') }}
),

accounts as (
    select * from {{ ref('stg_salesforce__accounts') }}
),

sf_leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

ma_leads as (
    select * from {{ ref('stg_marketo__leads') }}
),

candidates as (
    select
        bridge.person_id,
        1 as priority,
        bridge.source_id,
        contacts.created_at,
        contacts.title,
        contacts.department,
        accounts.industry,
        accounts.employee_count
    from bridge
    inner join contacts on bridge.source_id = contacts.contact_id
    left join accounts on contacts.account_id = accounts.account_id
    where bridge.source_system = 'salesforce_contact'

    union all

    select
        bridge.person_id, 2, bridge.source_id, sf_leads.created_at,
        sf_leads.title, cast(null as {{ dbt.type_string() }}), sf_leads.industry, sf_leads.employee_count
    from bridge
    inner join sf_leads on bridge.source_id = sf_leads.lead_id
    where bridge.source_system = 'salesforce_lead'

    union all

    select
        bridge.person_id, 3, bridge.source_id, ma_leads.created_at,
        ma_leads.title, cast(null as {{ dbt.type_string() }}), ma_leads.industry, ma_leads.employee_count
    from bridge
    inner join ma_leads on bridge.source_id = cast(ma_leads.marketo_lead_id as {{ dbt.type_string() }})
    where bridge.source_system = 'marketo_lead'
),

ranked as (
    select
        *,
        row_number() over (
            partition by person_id order by priority, created_at desc nulls last, source_id
        ) as pick_order
    from candidates
),

people as (
    select distinct person_id from bridge
)

select
    people.person_id,
    {{ min_by('ranked.title', 'ranked.pick_order') }}
        filter (where nullif(trim(ranked.title), '') is not null) as title,
    {{ min_by('ranked.department', 'ranked.pick_order') }}
        filter (where nullif(trim(ranked.department), '') is not null) as department,
    {{ min_by('ranked.industry', 'ranked.pick_order') }}
        filter (where nullif(trim(ranked.industry), '') is not null) as industry,
    {{ min_by('ranked.employee_count', 'ranked.pick_order') }}
        filter (where ranked.employee_count is not null) as employee_count
from people
left join ranked on people.person_id = ranked.person_id
group by people.person_id
