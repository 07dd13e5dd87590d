{#- Google Ads daily campaign performance: one row per day and campaign (a re-pulled day
    replaces the earlier pull), cost from micros to the account currency. -#}
with source as (
    select * from {{ source('google_ads', 'google_ads__campaign') }} where {{ is_current_delivery() }}
    {{ newest_version('"segments.date", "campaign.id"') }}
),

renamed as (
    select
        cast("segments.date" as date) as spend_date,
        "customer.id" as ad_account_id,
        upper("customer.currency_code") as currency,
        "campaign.id" as campaign_id,
        "campaign.name" as campaign_name,
        "campaign.advertising_channel_type" as advertising_channel_type,
        cast("metrics.impressions" as bigint) as impressions,
        cast("metrics.clicks" as bigint) as clicks,
        cast("metrics.cost_micros" as double) / 1000000.0 as spend,
        cast("metrics.conversions" as double) as platform_conversions,
        _loaded_at as loaded_at
    from source
)

select * from renamed
