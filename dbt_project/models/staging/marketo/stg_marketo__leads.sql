{#- Marketo leads: newest version per id (updatedAt, then load time) with the normalised
    keys identity resolution matches on and the Salesforce ids Marketo's CRM sync stores. -#}
with source as (
    select * from {{ source('marketo', 'marketo__leads') }} where {{ is_current_delivery() }}
    {{ newest_version('id', 'updatedat') }}
),

renamed as (
    select
        id as marketo_lead_id,
        nullif(trim(email), '') as email,
        {{ normalize_email('email') }} as email_normalized,
        nullif(trim(firstname), '') as first_name,
        nullif(trim(lastname), '') as last_name,
        nullif(trim(company), '') as company_name,
        {{ normalize_company_name('company') }} as company_name_normalized,
        nullif(trim(title), '') as title,
        nullif(trim(phone), '') as phone,
        {{ normalize_phone('phone') }} as phone_normalized,
        nullif(trim(industry), '') as industry,
        cast(numberofemployees as bigint) as employee_count,
        nullif(trim(website), '') as website,
        coalesce(
            {{ domain_from_email(normalize_email('email')) }}, {{ domain_from_url('website') }}
        ) as domain,
        {{ domain_from_url('website') }} as website_domain,
        nullif(trim(country), '') as country,
        nullif(trim(leadsource), '') as lead_source,
        cast(leadscore as bigint) as lead_score,
        coalesce(unsubscribed, false) as is_unsubscribed,
        nullif(trim(sfdcleadid), '') as sfdc_lead_id,
        nullif(trim(sfdccontactid), '') as sfdc_contact_id,
        nullif(trim(utm_source__c), '') as utm_source,
        nullif(trim(utm_medium__c), '') as utm_medium,
        nullif(trim(utm_campaign__c), '') as utm_campaign,
        nullif(trim(gclid__c), '') as gclid,
        cast(createdat as timestamptz) as created_at,
        cast(updatedat as timestamptz) as updated_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
