{#- One row per person: fit, behaviour and combined score as of var as_of, and the grade.
    behavior_score = sum over the person's scored events up to as_of of
        points x 0.5 ^ (age_days / var behavior_half_life_days)
    (an event as old as the half-life counts half). age_days counts whole calendar days
    (UTC) from the event's date to the as-of date, so a score changes once a day, not with
    every run: two runs on the same day over the same events send the CRM nothing new. score = fit_weight x fit_score +
    (1 - fit_weight) x min(behavior_score, 100) with var fit_weight (default 0.5), so
    both axes are 0..100. grade = fit letter (A..D, seed scoring_rules fit_grade) followed
    by the behaviour digit (1..4, behavior_grade): A1 is the best. -#}
{%- set half_life = var('behavior_half_life_days') -%}
{%- set fit_weight = var('fit_weight', 0.5) -%}
{%- set as_of = as_of() -%}
with fit as (
    select * from {{ ref('int_person_fit_scores') }}
),

behavior as (
    select * from {{ ref('int_behavior_events') }}
    where occurred_at <= {{ as_of }}
),

decayed as (
    select
        person_id,
        sum(
            points * power(
                0.5,
                cast({{ dbt.datediff(
                    "cast(occurred_at as date)", "cast(" ~ as_of ~ " as date)", "day"
                ) }} as {{ type_double() }}) / {{ half_life }}
            )
        ) as behavior_score,
        max(occurred_at) as last_scored_event_at
    from behavior
    group by person_id
),

digits as (
    select match_value as behavior_digit, points as min_score
    from {{ ref('scoring_rules') }}
    where axis = 'behavior_grade'
),

scored as (
    select
        fit.person_id,
        fit.fit_score,
        fit.fit_letter,
        round(coalesce(decayed.behavior_score, 0), 2) as behavior_score,
        decayed.last_scored_event_at
    from fit
    left join decayed on fit.person_id = decayed.person_id
)

select
    scored.person_id,
    scored.fit_score,
    scored.behavior_score,
    round({{ fit_weight }} * scored.fit_score
          + (1 - {{ fit_weight }}) * least(greatest(scored.behavior_score, 0), 100), 1) as score,
    scored.fit_letter || (
        select digits.behavior_digit from digits
        where greatest(scored.behavior_score, 0) >= digits.min_score
        order by digits.min_score desc limit 1
    ) as grade,
    scored.fit_letter as fit_grade,
    scored.last_scored_event_at,
    {{ as_of }} as scored_at
from scored
