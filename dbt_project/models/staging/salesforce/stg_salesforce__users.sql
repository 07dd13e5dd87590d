{#- Salesforce users: owners of leads, contacts, opportunities and activities. One row per Id (the last loaded version wins: these objects carry no SystemModstamp). -#}
with source as (
    select * from {{ source('salesforce', 'salesforce__user') }} where {{ is_current_delivery() }}
    {{ newest_version('id') }}
),

renamed as (
    select
        id as user_id,
        name as user_name,
        {{ normalize_email('email') }} as email,
        nullif(trim(department), '') as department,
        coalesce(isactive, false) as is_active,
        _loaded_at as loaded_at
    from source
)

select * from renamed
