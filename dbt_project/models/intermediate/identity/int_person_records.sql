{#- Every source record that stands for a person (Marketo lead, Salesforce lead, Salesforce
    contact) in one shape, with the normalised keys matching uses. `node_id` is
    `<source_system>:<source_id>`; `winner_key` sorts the record that names the person
    first: the OLDEST record (then a contact over a lead over a Marketo lead, then the node
    id), so the person id survives a lead's conversion (the contact is newer than its lead)
    and merges (see int_person_identities). -#}
with marketo_leads as (
    select * from {{ ref('stg_marketo__leads') }}
),

salesforce_leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

salesforce_contacts as (
    select * from {{ ref('stg_salesforce__contacts') }}
),

salesforce_accounts as (
    select * from {{ ref('stg_salesforce__accounts') }}
),

unioned as (
    select
        'marketo_lead' as source_system,
        marketo_lead_id as source_id,
        3 as source_priority,
        email_normalized,
        first_name,
        last_name,
        phone_normalized,
        company_name_normalized,
        domain,
        sfdc_lead_id as linked_salesforce_lead_id,
        sfdc_contact_id as linked_salesforce_contact_id,
        is_unsubscribed as has_opted_out,
        created_at
    from marketo_leads

    union all

    select
        'salesforce_lead',
        lead_id,
        2,
        email_normalized,
        first_name,
        last_name,
        phone_normalized,
        company_name_normalized,
        domain,
        null,
        converted_contact_id,
        has_opted_out_of_email,
        created_at
    from salesforce_leads

    union all

    -- a contact's company is its account's
    select
        'salesforce_contact',
        salesforce_contacts.contact_id,
        1,
        salesforce_contacts.email_normalized,
        salesforce_contacts.first_name,
        salesforce_contacts.last_name,
        salesforce_contacts.phone_normalized,
        salesforce_accounts.company_name_normalized,
        coalesce(salesforce_contacts.domain, salesforce_accounts.domain),
        null,
        null,
        salesforce_contacts.has_opted_out_of_email,
        salesforce_contacts.created_at
    from salesforce_contacts
    left join salesforce_accounts
        on salesforce_contacts.account_id = salesforce_accounts.account_id
)

select
    source_system || ':' || source_id as node_id,
    source_system,
    source_id,
    coalesce({{ timestamp_key('created_at') }}, '99999999999999') || '|' || source_priority
    || '|' || source_system || ':' || source_id as winner_key,
    email_normalized,
    {{ dbt.split_part('email_normalized', "'@'", 1) }} as email_local_part,
    {{ domain_from_email('email_normalized') }} as email_domain,
    is_free_mail,
    case when not is_free_mail then domain end as company_domain,
    first_name,
    last_name,
    nullif({{ regex_replace_all("lower(" ~ normalize_text_nfkc("coalesce(last_name, '') || coalesce(first_name, '')") ~ ")", "'[^\\p{L}\\p{N}]+'", "''") }}, '') as name_last_first,
    nullif({{ regex_replace_all("lower(" ~ normalize_text_nfkc("coalesce(first_name, '') || coalesce(last_name, '')") ~ ")", "'[^\\p{L}\\p{N}]+'", "''") }}, '') as name_first_last,
    phone_normalized,
    company_name_normalized,
    linked_salesforce_lead_id,
    linked_salesforce_contact_id,
    has_opted_out,
    created_at
from (
    -- the personal-mail lookup once per record
    select unioned.*, {{ is_free_mail_domain('domain') }} as is_free_mail from unioned
) as unioned
