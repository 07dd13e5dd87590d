{#- Salesforce contacts: newest version per Id, deletions removed, normalised keys. -#}
with source as (
    select * from {{ source('salesforce', 'salesforce__contact') }} where {{ is_current_delivery() }}
    {{ newest_version('id', 'systemmodstamp') }}
),

renamed as (
    select
        id as contact_id,
        nullif(accountid, '') as account_id,
        nullif(trim(firstname), '') as first_name,
        nullif(trim(lastname), '') as last_name,
        nullif(trim(email), '') as email,
        {{ normalize_email('email') }} as email_normalized,
        {{ domain_from_email(normalize_email('email')) }} as domain,
        nullif(trim(phone), '') as phone,
        {{ normalize_phone('phone') }} as phone_normalized,
        nullif(trim(title), '') as title,
        nullif(trim(department), '') as department,
        nullif(trim(leadsource), '') as lead_source,
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
