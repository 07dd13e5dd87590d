{#- Salesforce accounts: newest version per Id, deletions removed, normalised keys
    (company name, website domain, phone, 13-digit corporate number). -#}
with source as (
    select * from {{ source('salesforce', 'salesforce__account') }} where {{ is_current_delivery() }}
    {{ newest_version('id', 'systemmodstamp') }}
),

renamed as (
    select
        id as account_id,
        nullif(trim(name), '') as account_name,
        {{ normalize_company_name('name') }} as company_name_normalized,
        nullif(trim(website), '') as website,
        {{ domain_from_url('website') }} as domain,
        nullif(trim(phone), '') as phone,
        {{ normalize_phone('phone') }} as phone_normalized,
        nullif(trim(industry), '') as industry,
        cast(numberofemployees as bigint) as employee_count,
        cast(annualrevenue as double) as annual_revenue,
        nullif(trim(billingcountry), '') as billing_country,
        nullif(trim(type), '') as account_type,
        ownerid as owner_id,
        case
            when length(regexp_replace({{ normalize_text_nfkc('corporate_number__c') }}, '[^0-9]', '', 'g')) = 13
                then regexp_replace({{ normalize_text_nfkc('corporate_number__c') }}, '[^0-9]', '', 'g')
        end as corporate_number,
        cast(createddate as timestamptz) as created_at,
        cast(systemmodstamp as timestamptz) as system_modstamp_at,
        coalesce(isdeleted, false) as is_deleted,
        _loaded_at as loaded_at
    from source
)

select * exclude (is_deleted) from renamed
where not is_deleted
