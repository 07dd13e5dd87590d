{#- Opportunity stage history: each row is a stage entered at created_at. One row per Id (the last loaded version wins: these objects carry no SystemModstamp). -#}
with source as (
    select * from {{ source('salesforce', 'salesforce__opportunity_history') }} where {{ is_current_delivery() }}
    {{ newest_version('id') }}
),

renamed as (
    select
        id as opportunity_history_id,
        opportunityid as opportunity_id,
        stagename as stage_name,
        cast(amount as double) as amount,
        cast(closedate as date) as close_date,
        cast(createddate as timestamptz) as created_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
