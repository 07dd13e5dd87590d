{#- Contacts on opportunities (buying committee). One row per Id (the last loaded version wins: these objects carry no SystemModstamp). -#}
with source as (
    select * from {{ source('salesforce', 'salesforce__opportunity_contact_role') }} where {{ is_current_delivery() }}
    {{ newest_version('id') }}
),

renamed as (
    select
        id as opportunity_contact_role_id,
        opportunityid as opportunity_id,
        contactid as contact_id,
        nullif(trim(role), '') as contact_role,
        coalesce(isprimary, false) as is_primary,
        cast(createddate as timestamptz) as created_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
