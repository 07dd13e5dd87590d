{#- Ad spend per channel and month in JPY, from the three ad platforms' daily staging
    models, converted with seed fx_rates on the spend date. Shaped like the spend columns
    of marts.mart_attribution_by_channel (channel, month, spend) so that CAC in
    mart_ltv_by_channel can switch to the attribution issue's spend by replacing one CTE.
    Channels: Google Ads SEARCH / SHOPPING / PERFORMANCE_MAX campaigns -> Paid Search, other
    Google campaign types (DISPLAY, VIDEO, DEMAND_GEN, ...) -> Display; Meta and LinkedIn
    -> Paid Social (the channels of seed channel_mapping for their click ids). -#}
with spend as (
    select
        spend_date,
        currency,
        case
            when upper(advertising_channel_type) in ('SEARCH', 'SHOPPING', 'PERFORMANCE_MAX')
                then 'Paid Search'
            else 'Display'
        end as channel,
        spend
    from {{ ref('stg_google_ads__campaign_stats') }}

    union all

    select spend_date, currency, 'Paid Social' as channel, spend
    from {{ ref('stg_meta_ads__insights') }}

    union all

    select spend_date, currency, 'Paid Social' as channel, spend
    from {{ ref('stg_linkedin_ads__analytics') }}
),

fx as (
    select * from {{ ref('fx_rates') }}
)

select
    spend.channel,
    cast({{ dbt.date_trunc('month', 'spend.spend_date') }} as date) as month,
    sum(spend.spend * fx.rate_to_jpy) as spend,
    sum(case when fx.rate_to_jpy is null then spend.spend end) as unconverted_spend
from spend
left join fx
    on coalesce(spend.currency, 'JPY') = fx.currency
    and spend.spend_date between fx.valid_from and fx.valid_to
where spend.spend_date is not null
group by 1, 2
