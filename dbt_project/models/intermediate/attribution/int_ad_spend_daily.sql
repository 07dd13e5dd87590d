{#- Ad spend per day and platform campaign, in the account currency and in JPY. The FX rate
    is the seed fx_rates row of the account currency valid on the spend day, so a month of
    USD spend is converted day by day at the rate of each day. Meta reports per ad set:
    summed to the campaign. The channel follows the platform: Google SEARCH campaigns are
    Paid Search, Google DISPLAY campaigns Display, Meta and LinkedIn Paid Social. -#}
with google as (
    select
        spend_date,
        'google_ads' as ad_platform,
        ad_account_id,
        campaign_id,
        campaign_name,
        case when upper(advertising_channel_type) = 'DISPLAY' then 'Display' else 'Paid Search' end
            as channel,
        currency,
        spend,
        impressions,
        clicks
    from {{ ref('stg_google_ads__campaign_stats') }}
),

meta as (
    select
        spend_date,
        'meta_ads' as ad_platform,
        max(ad_account_id) as ad_account_id,
        campaign_id,
        max(campaign_name) as campaign_name,
        'Paid Social' as channel,
        max(currency) as currency,
        sum(spend) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from {{ ref('stg_meta_ads__insights') }}
    group by spend_date, campaign_id
),

linkedin as (
    select
        spend_date,
        'linkedin_ads' as ad_platform,
        cast(null as varchar) as ad_account_id,
        campaign_id,
        cast(null as varchar) as campaign_name,
        'Paid Social' as channel,
        currency,
        spend,
        impressions,
        clicks
    from {{ ref('stg_linkedin_ads__analytics') }}
),

unioned as (
    select * from google
    union all
    select * from meta
    union all
    select * from linkedin
),

fx as (
    select * from {{ ref('fx_rates') }}
)

select
    {{ dbt.concat(["unioned.ad_platform", "'|'", "unioned.campaign_id", "'|'",
                   dbt.cast("unioned.spend_date", dbt.type_string())]) }} as ad_spend_id,
    unioned.spend_date,
    unioned.ad_platform,
    unioned.ad_account_id,
    unioned.campaign_id,
    unioned.campaign_name,
    unioned.channel,
    unioned.currency,
    unioned.spend,
    fx.rate_to_jpy,
    unioned.spend * fx.rate_to_jpy as spend_jpy,
    unioned.impressions,
    unioned.clicks
from unioned
left join fx
    on unioned.currency = fx.currency
    and unioned.spend_date between fx.valid_from and fx.valid_to
where unioned.spend_date is not null
  and unioned.spend_date <= cast({{ as_of() }} as date)
