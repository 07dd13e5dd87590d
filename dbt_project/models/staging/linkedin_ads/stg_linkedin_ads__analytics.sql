{#- LinkedIn adAnalytics, one row per day and campaign. adAnalytics carries no currency:
    the account currency comes from var linkedin_ads_currency. -#}
with source as (
    select * from {{ source('linkedin_ads', 'linkedin_ads__analytics') }} where {{ is_current_delivery() }}
    {{ newest_version('"dateRange"."start", "pivotValues"[1]') }}
),

renamed as (
    select
        make_date(
            cast("dateRange"."start"."year" as bigint),
            cast("dateRange"."start"."month" as bigint),
            cast("dateRange"."start"."day" as bigint)
        ) as spend_date,
        regexp_extract("pivotValues"[1], '([0-9]+)$', 1) as campaign_id,
        "pivotValues"[1] as campaign_urn,
        '{{ var("linkedin_ads_currency") }}' as currency,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast("costInLocalCurrency" as double) as spend,
        cast("externalWebsiteConversions" as bigint) as platform_conversions,
        _loaded_at as loaded_at
    from source
)

select * from renamed
