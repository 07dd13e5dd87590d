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

per_conversion_campaign as (
    select
        campaign_key,
        conversion_type,
        conversion_id,
        cast({{ dbt.date_trunc('month', 'converted_at') }} as date) as month,
        max(revenue) as revenue,
        max(case when is_first_touch then 1 else 0 end) = 1 as is_source
    from attribution
    where model = 'linear'
    group by 1, 2, 3, 4
),

source_campaigns as (
    select conversion_id, count(*) as source_campaigns
    from per_conversion_campaign
    where is_source
    group by conversion_id
),

amounts as (
    select
        per_conversion_campaign.campaign_key,
        per_conversion_campaign.conversion_type,
        per_conversion_campaign.month,
        sum(case when per_conversion_campaign.is_source
                 then 1.0 / source_campaigns.source_campaigns else 0 end) as sourced_conversions,
        sum(case when per_conversion_campaign.is_source
                 then per_conversion_campaign.revenue / source_campaigns.source_campaigns else 0 end)
            as sourced_revenue,
        count(*) as influenced_conversions,
        sum(per_conversion_campaign.revenue) as influenced_revenue
    from per_conversion_campaign
    left join source_campaigns on per_conversion_campaign.conversion_id = source_campaigns.conversion_id
    group by 1, 2, 3
),

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
    select models.model, types.conversion_type
    from {{ ref('attribution_models') }} as models
    cross join (
        select 'lead_created' as conversion_type
        union all select 'opportunity_created'
        union all select 'closed_won'
    ) as types
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
    coalesce(credits.conversions, 0) as conversions,
    coalesce(credits.revenue, 0) as revenue,
    coalesce(spend.spend, 0) as spend,
    case when coalesce(credits.conversions, 0) > 0 then spend.spend / credits.conversions end
        as cost_per_conversion,
    case when coalesce(spend.spend, 0) > 0 then coalesce(credits.revenue, 0) / spend.spend end
        as roas,
    coalesce(amounts.sourced_conversions, 0) as sourced_conversions,
    coalesce(amounts.sourced_revenue, 0) as sourced_revenue,
    coalesce(amounts.influenced_conversions, 0) as influenced_conversions,
    coalesce(amounts.influenced_revenue, 0) as influenced_revenue
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
