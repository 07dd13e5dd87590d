{#- Salesforce campaigns (webinars, e-mails, ads, trade shows, content). One row per Id (the last loaded version wins: these objects carry no SystemModstamp). -#}
with source as (
    select * from {{ source('salesforce', 'salesforce__campaign') }} where {{ is_current_delivery() }}
    {{ newest_version('id') }}
),

renamed as (
    select
        id as campaign_id,
        name as campaign_name,
        type as campaign_type,
        cast(startdate as date) as start_date,
        cast(enddate as date) as end_date,
        cast(actualcost as double) as actual_cost,
        upper(currencyisocode) as currency_iso_code,
        _loaded_at as loaded_at
    from source
)

select * from renamed
