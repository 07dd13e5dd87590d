{#- The pieces the channel and the campaign attribution marts share, so the two roll-ups
    can never define ROAS or "sourced" differently. `key` is the roll-up's grain column
    (channel, campaign_key). -#}

{#- CTE bodies: per_conversion_<key> (one row per conversion x key, model-independent, so
    read from the linear model's rows: every model has every touch), sources (how many keys
    source each conversion: a first instant holding touches of several keys sources each
    with an equal share) and amounts (sourced = the conversion's share as lead source, whole
    otherwise; influenced = any touch of the key, whole, so they add up to more than the
    total). `is_source`: the condition that makes a touch a source of its conversion. -#}
{% macro attribution_sourced_influenced(key, is_source) -%}
per_conversion_{{ key }} as (
    select
        {{ key }},
        conversion_type,
        conversion_id,
        cast({{ dbt.date_trunc('month', 'converted_at') }} as date) as month,
        max(revenue) as revenue,
        max(case when {{ is_source }} then 1 else 0 end) = 1 as is_source
    from attribution
    where model = 'linear'
    group by 1, 2, 3, 4
),

sources as (
    select conversion_id, count(*) as sources
    from per_conversion_{{ key }}
    where is_source
    group by conversion_id
),

amounts as (
    select
        per_conversion.{{ key }},
        per_conversion.conversion_type,
        per_conversion.month,
        sum(case when per_conversion.is_source then 1.0 / sources.sources else 0 end)
            as sourced_conversions,
        sum(case when per_conversion.is_source then per_conversion.revenue / sources.sources else 0 end)
            as sourced_revenue,
        count(*) as influenced_conversions,
        sum(per_conversion.revenue) as influenced_revenue
    from per_conversion_{{ key }} as per_conversion
    left join sources on per_conversion.conversion_id = sources.conversion_id
    group by 1, 2, 3
)
{%- endmacro %}

{#- Every attribution model of seed attribution_models x the three conversion types: the
    rows a roll-up has for each (key, month), zero-filled where nothing converted. -#}
{% macro attribution_model_types() -%}
    select models.model, models.model_order, types.conversion_type
    from {{ ref('attribution_models') }} as models
    cross join (
        select 'lead_created' as conversion_type
        union all select 'opportunity_created'
        union all select 'closed_won'
    ) as types
{%- endmacro %}

{#- The metric columns of a roll-up row, from the CTEs credits, spend and amounts joined to
    the spine: attributed conversions and revenue, spend, cost per conversion, ROAS
    (revenue / spend), sourced and influenced. -#}
{% macro attribution_metric_columns() -%}
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
{%- endmacro %}
