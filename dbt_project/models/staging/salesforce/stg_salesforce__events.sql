{#- Calendar events (meetings) with leads/contacts. One row per Id (the last loaded version wins: these objects carry no SystemModstamp). -#}
with source as (
    select * from {{ source('salesforce', 'salesforce__event') }} where {{ is_current_delivery() }}
    {{ newest_version('id') }}
),

renamed as (
    select
        id as event_id,
        nullif(whoid, '') as who_id,
        case left(whoid, 3) when '00Q' then 'lead' when '003' then 'contact' end as who_type,
        nullif(whatid, '') as what_id,
        "Subject" as subject,
        nullif(trim(type), '') as event_type,
        cast(startdatetime as timestamptz) as started_at,
        cast(enddatetime as timestamptz) as ended_at,
        ownerid as owner_id,
        cast(createddate as timestamptz) as created_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
