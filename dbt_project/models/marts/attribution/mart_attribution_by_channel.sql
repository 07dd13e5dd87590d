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

{{ attribution_sourced_influenced('channel', 'is_first_touch or is_unattributed') }},

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
    {{ attribution_model_types() }}
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
    {{ attribution_metric_columns() }}
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
