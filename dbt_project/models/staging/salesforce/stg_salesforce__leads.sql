{#- Salesforce leads: newest version per Id (SystemModstamp, then load time), deletions
    removed, with the normalised keys identity resolution matches on. Company is required on
    a Salesforce Lead, so web-to-lead and the MA connectors write the placeholder
    '[not provided]' when a form had no company: that is no company name. -#}
with source as (
    select * from {{ source('salesforce', 'salesforce__lead') }} where {{ is_current_delivery() }}
    {{ newest_version('id', 'systemmodstamp') }}
),

renamed as (
    select
        id as lead_id,
        nullif(trim(firstname), '') as first_name,
        nullif(trim(lastname), '') as last_name,
        nullif(trim(email), '') as email,
        {{ normalize_email('email') }} as email_normalized,
        nullif(trim(phone), '') as phone,
        {{ normalize_phone('phone') }} as phone_normalized,
        nullif(nullif(trim(company), ''), '[not provided]') as company_name,
        {{ normalize_company_name("nullif(trim(company), '[not provided]')") }}
            as company_name_normalized,
        nullif(trim(website), '') as website,
        coalesce(
            {{ domain_from_email(normalize_email('email')) }}, {{ domain_from_url('website') }}
        ) as domain,
        {{ domain_from_url('website') }} as website_domain,
        nullif(trim(title), '') as title,
        nullif(trim(industry), '') as industry,
        cast(numberofemployees as bigint) as employee_count,
        nullif(trim(leadsource), '') as lead_source,
        status as lead_status,
        coalesce(isconverted, false) as is_converted,
        cast(converteddate as date) as converted_date,
        nullif(convertedaccountid, '') as converted_account_id,
        nullif(convertedcontactid, '') as converted_contact_id,
        nullif(convertedopportunityid, '') as converted_opportunity_id,
        coalesce(hasoptedoutofemail, false) as has_opted_out_of_email,
        ownerid as owner_id,
        cast(createddate as timestamptz) as created_at,
        cast(systemmodstamp as timestamptz) as system_modstamp_at,
        coalesce(isdeleted, false) as is_deleted,
        _loaded_at as loaded_at
    from source
)

select * exclude (is_deleted) from renamed
where not is_deleted
