{#- Channel x model x conversion type x month (the month of the conversion): attributed
    conversions (sum of credits), attributed revenue (pipeline for opportunity_created,
    bookings for closed_won), the channel's spend that month in JPY (ad platforms' daily
    spend FX-converted by day, plus Salesforce campaign costs by campaign type's channel
    in the month the campaign starts), cost per conversion and ROAS (revenue / spend).
    Sourced vs influenced, the same under every model: sourced_conversions /
    sourced_revenue count conversions whose first touch (lead source) is the channel, whole;
    influenced_conversions / influenced_revenue count conversions with any touch of the
    channel, whole (so they add up to more than the total). Rows exist for every month a
    channel had conversions or spend. -#}
with attribution as (
    select * from {{ ref('fct_attribution') }}
),

credits as (
    select
        channel,
        model,
        conversion_type,
        cast({{ dbt.date_trunc('month', 'converted_at') }} as date) as month,
        sum(credit) as conversions,
        sum(revenue_credit) as revenue
    from attribution
    group by 1, 2, 3, 4
),

per_conversion_channel as (
    -- model-independent, so read from one model's rows (every model has every touch)
    select
        channel,
        conversion_type,
        conversion_id,
        cast({{ dbt.date_trunc('month', 'converted_at') }} as date) as month,
        max(revenue) as revenue,
        max(case when is_first_touch or is_unattributed then 1 else 0 end) = 1 as is_source
    from attribution
    where model = 'linear'
    group by 1, 2, 3, 4
),

source_channels as (
    -- a conversion whose first instant holds touches of several channels sources each
    -- of them with an equal share
    select conversion_id, count(*) as source_channels
    from per_conversion_channel
    where is_source
    group by conversion_id
),

amounts as (
    select
        per_conversion_channel.channel,
        per_conversion_channel.conversion_type,
        per_conversion_channel.month,
        sum(case when per_conversion_channel.is_source
                 then 1.0 / source_channels.source_channels else 0 end) as sourced_conversions,
        sum(case when per_conversion_channel.is_source
                 then per_conversion_channel.revenue / source_channels.source_channels else 0 end)
            as sourced_revenue,
        count(*) as influenced_conversions,
        sum(per_conversion_channel.revenue) as influenced_revenue
    from per_conversion_channel
    left join source_channels on per_conversion_channel.conversion_id = source_channels.conversion_id
    group by 1, 2, 3
),

ad_spend as (
    select
        channel,
        cast({{ dbt.date_trunc('month', 'spend_date') }} as date) as month,
        sum(spend_jpy) as spend
    from {{ ref('int_ad_spend_daily') }}
    group by 1, 2
),

campaign_costs as (
    select
        channel,
        cast({{ dbt.date_trunc('month', 'cost_date') }} as date) as month,
        sum(cost_jpy) as spend
    from {{ ref('int_attribution_campaigns') }}
    where campaign_source = 'salesforce' and cost_jpy is not null
    group by 1, 2
),

spend as (
    select channel, month, sum(spend) as spend
    from (select * from ad_spend union all select * from campaign_costs) as costs
    group by 1, 2
),

model_types as (
    select models.model, models.model_order, types.conversion_type
    from {{ ref('attribution_models') }} as models
    cross join (
        select 'lead_created' as conversion_type
        union all select 'opportunity_created'
        union all select 'closed_won'
    ) as types
),

spine as (
    select distinct channel, month from credits
    union
    select channel, month from spend
)

select
    {{ dbt.concat(["spine.channel", "'|'", "model_types.model", "'|'", "model_types.conversion_type",
                   "'|'", dbt.cast("spine.month", dbt.type_string())]) }} as channel_month_id,
    spine.channel,
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
left join credits
    on spine.channel = credits.channel
    and spine.month = credits.month
    and model_types.model = credits.model
    and model_types.conversion_type = credits.conversion_type
left join spend on spine.channel = spend.channel and spine.month = spend.month
left join amounts
    on spine.channel = amounts.channel
    and spine.month = amounts.month
    and model_types.conversion_type = amounts.conversion_type
