{#- Campaign membership of leads/contacts (registered, attended ...). One row per Id (the last loaded version wins: these objects carry no SystemModstamp). -#}
with source as (
    select * from {{ source('salesforce', 'salesforce__campaign_member') }} where {{ is_current_delivery() }}
    {{ newest_version('id') }}
),

renamed as (
    select
        id as campaign_member_id,
        campaignid as campaign_id,
        nullif(leadid, '') as lead_id,
        nullif(contactid, '') as contact_id,
        status as member_status,
        coalesce(hasresponded, false) as has_responded,
        cast(firstrespondeddate as date) as first_responded_date,
        cast(createddate as timestamptz) as created_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
