{#- The score each person had right after each of their behaviour moments (distinct event
    instants up to as_of), and the intent signal then: what dates a score-based MQL
    (int_lifecycle_signals applies the score_rule of seed stage_definitions) and what
    calibration bands people by (their score at MQL / opportunity time).

    Linear, not quadratic: behaviour decays exponentially with half-life h days, so
        B(t) = sum_i p_i * 2^(-(t - t_i)/h) = 2^(-(t - r)/h) * running_sum(p_i * 2^((t_i - r)/h))
    a running sum over the person's moments in time order (one window), rebased to r, the
    start of the person's current block of 200 half-lives, so no power exceeds 2^200;
    the block before carries over decayed, older blocks are below 2^-200 of a point and
    drop out. Same formula and half-life as fct_lead_scores.
    Intent = pricing page viewed on at least min_intent_days distinct days within the
    intent_window_days days up to that moment (seed stage_definitions, score_rule), one
    range window over the same moments. Score = fit_weight x fit + (1 - fit_weight) x
    min(behaviour, 100), the formula of fct_lead_scores. -#}
{%- set half_life = var('behavior_half_life_days') -%}
{%- set fit_weight = var('fit_weight', 0.5) -%}
{%- set block_half_lives = 200 -%}
with behavior as (
    select * from {{ ref('int_behavior_events') }}
    where occurred_at <= {{ as_of() }}
),

intent_window as (
    select max(intent_window_days) as window_days
    from {{ ref('stage_definitions') }}
    where signal_type = 'score_rule'
),

moments as (
    -- one row per person and instant: the points of every event at that instant
    select
        person_id,
        occurred_at as evaluated_at,
        sum(points) as points,
        max(case when is_pricing_page then {{ dbt.date_trunc('day', 'occurred_at') }} end)
            as pricing_day
    from behavior
    group by person_id, occurred_at
),

timed as (
    select
        moments.*,
        {{ epoch_seconds('evaluated_at') }} / 86400.0 / {{ half_life }} as half_lives,
        {{ epoch_microseconds('evaluated_at') }} as evaluated_us,
        min({{ epoch_seconds('evaluated_at') }} / 86400.0 / {{ half_life }})
            over (partition by person_id) as first_half_lives
    from moments
),

blocked as (
    select
        *,
        floor((half_lives - first_half_lives) / {{ block_half_lives }}) as block_no,
        first_half_lives
            + floor((half_lives - first_half_lives) / {{ block_half_lives }}) * {{ block_half_lives }}
            as block_start
    from timed
),

running as (
    select
        blocked.*,
        sum(points * power(2, half_lives - block_start)) over (
            partition by person_id, block_no
            order by evaluated_at
            rows between unbounded preceding and current row
        ) as block_sum,
        count(distinct pricing_day) over (
            partition by person_id
            order by evaluated_us
            range between intent_window.window_days * 86400000000 - 1 preceding and current row
        ) as pricing_view_days
    from blocked
    cross join intent_window
),

block_totals as (
    select person_id, block_no, block_start, sum(points * power(2, half_lives - block_start)) as block_total
    from blocked
    group by person_id, block_no, block_start
),

scored as (
    select
        running.person_id,
        running.evaluated_at,
        running.block_sum * power(2, running.block_start - running.half_lives)
        + coalesce(
            previous.block_total * power(2, previous.block_start - running.half_lives), 0
        ) as behavior_score,
        running.pricing_view_days
    from running
    left join block_totals as previous
        on running.person_id = previous.person_id
        and previous.block_no = running.block_no - 1
),

fit as (
    select * from {{ ref('int_person_fit_scores') }}
)

select
    scored.person_id,
    scored.evaluated_at,
    scored.behavior_score,
    fit.fit_score,
    fit.fit_letter,
    round({{ fit_weight }} * fit.fit_score
          + (1 - {{ fit_weight }}) * least(greatest(scored.behavior_score, 0), 100), 1) as score,
    cast(scored.pricing_view_days as {{ dbt.type_bigint() }}) as pricing_view_days
from scored
inner join fit on scored.person_id = fit.person_id
