{#- One row per resolved company with its surviving attributes (survivorship): a Salesforce
    account over a Salesforce lead over a Marketo lead, then the most recently created;
    missing attributes are filled from the next records. Intermediate, so the models that
    need an account's attributes (attribution's segments) never read the dim_accounts mart;
    dim_accounts adds the customer flag. -#}
with identities as (
    select * from {{ ref('int_account_identities') }}
    where account_id is not null
),

salesforce_accounts as (
    select * from {{ ref('stg_salesforce__accounts') }}
),

salesforce_leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

marketo_leads as (
    select * from {{ ref('stg_marketo__leads') }}
),

records as (
    select * from {{ ref('int_account_records') }}
),

attributes as (
    select
        identities.account_id,
        identities.source_system,
        identities.source_id,
        case identities.source_system
            when 'salesforce_account' then 1 when 'salesforce_lead' then 2 else 3
        end as source_priority,
        records.created_at,
        records.company_name,
        records.company_domain,
        records.phone_normalized,
        records.corporate_number,
        coalesce(salesforce_accounts.industry, salesforce_leads.industry, marketo_leads.industry)
            as industry,
        coalesce(
            salesforce_accounts.employee_count,
            salesforce_leads.employee_count,
            marketo_leads.employee_count
        ) as employee_count,
        salesforce_accounts.annual_revenue,
        coalesce(salesforce_accounts.billing_country, marketo_leads.country) as country,
        salesforce_accounts.account_type,
        salesforce_accounts.owner_id
    from identities
    inner join records
        on identities.source_system = records.source_system
        and identities.source_id = records.source_id
    left join salesforce_accounts
        on identities.source_system = 'salesforce_account'
        and identities.source_id = salesforce_accounts.account_id
    left join salesforce_leads
        on identities.source_system = 'salesforce_lead'
        and identities.source_id = salesforce_leads.lead_id
    left join marketo_leads
        on identities.source_system = 'marketo_lead'
        and identities.source_id = marketo_leads.marketo_lead_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by account_id order by source_priority, created_at desc nulls last, source_id
        ) as attribute_rank
    from attributes
),

accounts as (
    select
        account_id,
        arg_min(company_name, attribute_rank) filter (where company_name is not null)
            as account_name,
        arg_min(company_domain, attribute_rank) filter (where company_domain is not null)
            as domain,
        arg_min(corporate_number, attribute_rank) filter (where corporate_number is not null)
            as corporate_number,
        arg_min(phone_normalized, attribute_rank) filter (where phone_normalized is not null)
            as phone,
        arg_min(industry, attribute_rank) filter (where industry is not null) as industry,
        arg_min(employee_count, attribute_rank) filter (where employee_count is not null)
            as employee_count,
        arg_min(annual_revenue, attribute_rank) filter (where annual_revenue is not null)
            as annual_revenue,
        arg_min(country, attribute_rank) filter (where country is not null) as country,
        arg_min(owner_id, attribute_rank) filter (where owner_id is not null) as owner_id,
        count(*) filter (where source_system = 'salesforce_account') as salesforce_account_count,
        count(*) filter (where source_system = 'salesforce_lead') as salesforce_lead_count,
        count(*) filter (where source_system = 'marketo_lead') as marketo_lead_count,
        arg_min(source_id, attribute_rank) filter (where source_system = 'salesforce_account')
            as primary_salesforce_account_id,
        min(created_at) as first_seen_at
    from ranked
    group by account_id
)

select * from accounts
