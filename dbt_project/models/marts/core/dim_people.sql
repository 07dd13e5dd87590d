{#- One row per resolved person. Contact data comes from the best record (a Salesforce
    contact over a Salesforce lead over a Marketo lead, newest first); the account is the
    contact's account, else the lead's resolved company; lifecycle_stage is read from
    fct_lifecycle_stages (which must never read dim_people). has_marketing_consent is false
    as soon as any source record opted out or unsubscribed. -#}
with identities as (
    select * from {{ ref('int_person_identities') }}
),

records as (
    select * from {{ ref('int_person_records') }}
),

account_identities as (
    select * from {{ ref('int_account_identities') }}
),

contacts as (
    select * from {{ ref('stg_salesforce__contacts') }}
),

salesforce_leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

marketo_leads as (
    select * from {{ ref('stg_marketo__leads') }}
),

lifecycle as (
    select * from {{ ref('fct_lifecycle_stages') }}
),

details as (
    select
        identities.person_id,
        identities.source_system,
        identities.source_id,
        records.source_system = 'salesforce_contact' as is_contact,
        case identities.source_system
            when 'salesforce_contact' then 1 when 'salesforce_lead' then 2 else 3
        end as source_priority,
        records.created_at,
        coalesce(contacts.email, salesforce_leads.email, marketo_leads.email) as email_raw,
        records.email_normalized,
        records.first_name,
        records.last_name,
        coalesce(contacts.title, salesforce_leads.title, marketo_leads.title) as title,
        coalesce(contacts.phone, salesforce_leads.phone, marketo_leads.phone) as phone,
        coalesce(salesforce_leads.company_name, marketo_leads.company_name) as company_name,
        contacts.department,
        coalesce(contacts.owner_id, salesforce_leads.owner_id) as owner_id,
        records.has_opted_out,
        marketo_leads.lead_score as marketo_lead_score,
        coalesce(
            contact_accounts.account_id, lead_accounts.account_id
        ) as account_id,
        case
            when contact_accounts.account_id is not null then 1
            when identities.source_system = 'salesforce_lead' then 2
            else 3
        end as account_priority
    from identities
    inner join records on identities.node_id = records.node_id
    left join contacts
        on identities.source_system = 'salesforce_contact'
        and identities.source_id = contacts.contact_id
    left join salesforce_leads
        on identities.source_system = 'salesforce_lead'
        and identities.source_id = salesforce_leads.lead_id
    left join marketo_leads
        on identities.source_system = 'marketo_lead'
        and identities.source_id = marketo_leads.marketo_lead_id
    left join account_identities as contact_accounts
        on contact_accounts.source_system = 'salesforce_account'
        and contact_accounts.source_id = contacts.account_id
    left join account_identities as lead_accounts
        on lead_accounts.source_system = identities.source_system
        and lead_accounts.source_id = identities.source_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by person_id order by source_priority, created_at desc nulls last, source_id
        ) as detail_rank
    from details
),

people as (
    select
        person_id,
        arg_min(account_id, account_priority * 1000000 + detail_rank)
            filter (where account_id is not null) as account_id,
        arg_min(email_normalized, detail_rank) filter (where email_normalized is not null)
            as email,
        arg_min(first_name, detail_rank) filter (where first_name is not null) as first_name,
        arg_min(last_name, detail_rank) filter (where last_name is not null) as last_name,
        arg_min(title, detail_rank) filter (where title is not null) as title,
        arg_min(department, detail_rank) filter (where department is not null) as department,
        arg_min(phone, detail_rank) filter (where phone is not null) as phone,
        arg_min(company_name, detail_rank) filter (where company_name is not null)
            as company_name,
        arg_min(owner_id, detail_rank) filter (where owner_id is not null) as owner_id,
        max(marketo_lead_score) as marketo_lead_score,
        not coalesce(bool_or(has_opted_out), false) as has_marketing_consent,
        arg_min(source_id, detail_rank) filter (where source_system = 'salesforce_contact')
            as salesforce_contact_id,
        arg_min(source_id, detail_rank) filter (where source_system = 'salesforce_lead')
            as salesforce_lead_id,
        arg_min(source_id, detail_rank) filter (where source_system = 'marketo_lead')
            as marketo_lead_id,
        bool_or(is_contact) as is_contact,
        count(*) as source_record_count,
        min(created_at) as first_seen_at
    from ranked
    group by person_id
)

select
    people.person_id,
    people.account_id,
    people.email,
    people.first_name,
    people.last_name,
    people.title,
    people.department,
    people.phone,
    people.company_name,
    people.owner_id,
    coalesce(lifecycle.current_stage, 'lead') as lifecycle_stage,
    lifecycle.mql_at,
    people.has_marketing_consent,
    people.is_contact,
    people.marketo_lead_score,
    people.salesforce_contact_id,
    people.salesforce_lead_id,
    people.marketo_lead_id,
    cast(people.source_record_count as bigint) as source_record_count,
    people.first_seen_at
from people
left join lifecycle on people.person_id = lifecycle.person_id
