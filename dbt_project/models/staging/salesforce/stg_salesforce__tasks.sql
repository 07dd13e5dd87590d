{#- Sales tasks (calls, e-mails): the sales touches of speed to lead. One row per Id (the last loaded version wins: these objects carry no SystemModstamp). -#}
with source as (
    select * from {{ source('salesforce', 'salesforce__task') }} where {{ is_current_delivery() }}
    {{ newest_version('id') }}
),

renamed as (
    select
        id as task_id,
        nullif(whoid, '') as who_id,
        case left(whoid, 3) when '00Q' then 'lead' when '003' then 'contact' end as who_type,
        nullif(whatid, '') as what_id,
        "Subject" as subject,
        nullif(trim(type), '') as task_type,
        tasksubtype as task_subtype,
        status as task_status,
        cast(activitydate as date) as activity_date,
        cast(calldurationinseconds as bigint) as call_duration_seconds,
        ownerid as owner_id,
        cast(createddate as timestamptz) as created_at,
        _loaded_at as loaded_at
    from source
)

select * from renamed
