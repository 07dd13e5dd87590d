{#- Every source record that names a company: Salesforce accounts, Salesforce leads (the
    Company field) and Marketo leads (company), with the keys account matching uses.
    A person's corporate e-mail domain stands for the company's web domain; free-mail
    domains never do. -#}
with salesforce_accounts as (
    select * from {{ ref('stg_salesforce__accounts') }}
),

salesforce_leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

salesforce_contacts as (
    select * from {{ ref('stg_salesforce__contacts') }}
),

marketo_leads as (
    select * from {{ ref('stg_marketo__leads') }}
),

unioned as (
    select
        'salesforce_account' as source_system,
        account_id as source_id,
        1 as source_priority,
        account_name as company_name,
        company_name_normalized,
        domain as company_domain,
        phone_normalized,
        corporate_number,
        cast(null as varchar) as linked_salesforce_account_id,
        created_at
    from salesforce_accounts

    union all

    select
        'salesforce_lead',
        lead_id,
        2,
        company_name,
        company_name_normalized,
        case
            when not {{ is_free_mail_domain('domain') }} then domain
            when not {{ is_free_mail_domain('website_domain') }} then website_domain
        end,
        phone_normalized,
        null,
        converted_account_id,
        created_at
    from salesforce_leads

    union all

    select
        'marketo_lead',
        marketo_leads.marketo_lead_id,
        3,
        marketo_leads.company_name,
        marketo_leads.company_name_normalized,
        case
            when not {{ is_free_mail_domain('marketo_leads.domain') }} then marketo_leads.domain
            when not {{ is_free_mail_domain('marketo_leads.website_domain') }}
                then marketo_leads.website_domain
        end,
        marketo_leads.phone_normalized,
        null,
        -- the account of the Salesforce contact Marketo's CRM sync stored
        salesforce_contacts.account_id,
        marketo_leads.created_at
    from marketo_leads
    left join salesforce_contacts
        on marketo_leads.sfdc_contact_id = salesforce_contacts.contact_id
)

select
    source_system || ':' || source_id as node_id,
    source_system,
    source_id,
    source_priority || '|' || coalesce(strftime(created_at, '%Y%m%d%H%M%S'), '99999999999999')
    || '|' || source_system || ':' || source_id as winner_key,
    company_name,
    company_name_normalized,
    company_domain,
    phone_normalized,
    corporate_number,
    linked_salesforce_account_id,
    created_at
from unioned
