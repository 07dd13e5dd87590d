{#- The campaign-level twin of mart_attribution_by_channel: campaign x model x conversion
    type x month. campaign_key is the touch's campaign (int_attribution_touches: the ad
    platform or Salesforce campaign id, else the normalised UTM campaign name); touches
    without a campaign are not here (their credit stays in the channel mart). spend: the
    platform campaign's daily spend FX-converted by day (int_ad_spend_daily), or the
    Salesforce campaign's ActualCost (JPY at its start date) in its start month.
    Sourced / influenced as in the channel mart, per campaign. -#}
with attribution as (
    select * from {{ ref('fct_attribution') }}
    where campaign_key is not null
),

campaigns as (
    select
        campaign_key,
        max(campaign_name) as campaign_name,
        max(campaign_source) as campaign_source,
        max(channel) as channel
    from {{ ref('int_attribution_campaigns') }}
    group by campaign_key
),

credits as (
    select
        campaign_key,
        model,
        conversion_type,
        cast({{ dbt.date_trunc('month', 'converted_at') }} as date) as month,
        max(campaign) as touch_campaign,
        max(channel) as touch_channel,
        sum(credit) as conversions,
        sum(revenue_credit) as revenue
    from attribution
    group by 1, 2, 3, 4
),

{{ attribution_sourced_influenced('campaign_key', 'is_first_touch') }},

spend as (
    select campaign_key, month, sum(spend) as spend
    from (
        select
            campaign_id as campaign_key,
            cast({{ dbt.date_trunc('month', 'spend_date') }} as date) as month,
            spend_jpy as spend
        from {{ ref('int_ad_spend_daily') }}

        union all

        select
            campaign_key,
            cast({{ dbt.date_trunc('month', 'cost_date') }} as date) as month,
            cost_jpy as spend
        from {{ ref('int_attribution_campaigns') }}
        where campaign_source = 'salesforce' and cost_jpy is not null
    ) as costs
    group by 1, 2
),

model_types as (
    {{ attribution_model_types() }}
),

spine as (
    select distinct campaign_key, month from credits
    union
    select campaign_key, month from spend
),

touch_names as (
    select campaign_key, max(touch_campaign) as touch_campaign, max(touch_channel) as touch_channel
    from credits
    group by campaign_key
)

select
    {{ dbt.concat(["spine.campaign_key", "'|'", "model_types.model", "'|'", "model_types.conversion_type",
                   "'|'", dbt.cast("spine.month", dbt.type_string())]) }} as campaign_month_id,
    spine.campaign_key,
    coalesce(campaigns.campaign_name, touch_names.touch_campaign) as campaign_name,
    coalesce(campaigns.campaign_source, 'utm') as campaign_source,
    coalesce(campaigns.channel, touch_names.touch_channel) as channel,
    model_types.model,
    model_types.conversion_type,
    spine.month,
    {{ attribution_metric_columns() }}
from spine
cross join model_types
left join campaigns on spine.campaign_key = campaigns.campaign_key
left join touch_names on spine.campaign_key = touch_names.campaign_key
left join credits
    on spine.campaign_key = credits.campaign_key
    and spine.month = credits.month
    and model_types.model = credits.model
    and model_types.conversion_type = credits.conversion_type
left join spend on spine.campaign_key = spend.campaign_key and spine.month = spend.month
left join amounts
    on spine.campaign_key = amounts.campaign_key
    and spine.month = amounts.month
    and model_types.conversion_type = amounts.conversion_type
