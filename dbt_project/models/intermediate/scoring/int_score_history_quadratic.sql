{#- TEMPORARY (removed once the linear int_score_history is verified equal): the old quadratic form. The score each person had right after each of their behaviour events, and whether the
    MQL intent rule held then. This is what dates a score-based MQL: the first moment the
    MQL rule of seed stage_definitions (score_fit_intent) was true. Decay uses the same
    half-life as fct_lead_scores, measured from each event to the moment evaluated.
    Intent = pricing page viewed on at least 2 distinct days within the 7 days up to that
    moment (viewed, then came back). Score = fit_weight x fit + (1 - fit_weight) x
    min(behaviour, 100), the same formula as fct_lead_scores. -#}
{%- set half_life = var('behavior_half_life_days') -%}
{%- set fit_weight = var('fit_weight', 0.5) -%}
with behavior as (
    select * from {{ ref('int_behavior_events') }}
),

moments as (
    select distinct person_id, occurred_at as evaluated_at
    from behavior
    where occurred_at <= {{ as_of() }}
),

scored as (
    select
        moments.person_id,
        moments.evaluated_at,
        sum(
            behavior.points
            * pow(0.5, (epoch(moments.evaluated_at) - epoch(behavior.occurred_at)) / 86400.0
                  / {{ half_life }})
        ) as behavior_score,
        -- "viewed twice and returned within a week": distinct days with a pricing view
        count(distinct cast(behavior.occurred_at as date)) filter (
            where behavior.is_pricing_page
            and behavior.occurred_at > moments.evaluated_at - interval 7 day
        ) as pricing_view_days_7d
    from moments
    inner join behavior
        on moments.person_id = behavior.person_id
        and behavior.occurred_at <= moments.evaluated_at
    group by moments.person_id, moments.evaluated_at
),

fit as (
    select * from {{ ref('int_person_fit_scores') }}
)

select
    scored.person_id,
    scored.evaluated_at,
    scored.behavior_score,
    scored.pricing_view_days_7d as pricing_view_days
from scored
