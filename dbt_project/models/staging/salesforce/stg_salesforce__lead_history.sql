{#- Lead field history (status changes drive SAL/SQL timestamps). One row per Id (the last loaded version wins: these objects carry no SystemModstamp). -#}
with source as (
    select * from {{ source('salesforce', 'salesforce__lead_history') }} where {{ is_current_delivery() }}
    {{ newest_version('id') }}
),

renamed as (
    select
        id as lead_history_id,
        leadid as lead_id,
        field as field_name,
        oldvalue as old_value,
        newvalue as new_value,
        cast(createddate as timestamptz) as created_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
