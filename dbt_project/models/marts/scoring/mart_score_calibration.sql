{#- The scoring feedback loop, without hindsight: per 10-point band of the combined score,
    how many people, how many became MQL, how many of those reached SQL, how many had an
    opportunity and how many of those won. A person is banded by the score they had WHEN
    the funnel judged them: at their MQL moment (else, for people sales took straight to an
    opportunity, at their opportunity's creation), read from the score history (the last
    behaviour moment at or before then, decayed to that instant, plus fit); only people
    never judged are banded by today's score. So a deal won in 2024 is credited to the
    score that predicted it, not to 2026 activity. If the score predicts revenue, the rates
    rise with the band. -#}
{%- set half_life = var('behavior_half_life_days') -%}
{%- set fit_weight = var('fit_weight', 0.5) -%}
with scores as (
    select * from {{ ref('fct_lead_scores') }}
),

stages as (
    select
        *,
        case when mql_at is not null then mql_at else opportunity_at end as judged_at
    from {{ ref('fct_lifecycle_stages') }}
),

history_then as (
    -- the last behaviour moment at or before the judging moment
    select
        stages.person_id,
        history.behavior_score
        * power(
            0.5,
            ({{ epoch_seconds('stages.judged_at') }} - {{ epoch_seconds('history.evaluated_at') }})
            / 86400.0 / {{ half_life }}
        ) as behavior_then
    from stages
    inner join {{ ref('int_score_history') }} as history
        on stages.person_id = history.person_id
        and history.evaluated_at <= stages.judged_at
    qualify row_number() over (
        partition by stages.person_id order by history.evaluated_at desc
    ) = 1
),

banded_scores as (
    select
        scores.person_id,
        case
            when stages.judged_at is null then scores.score
            else round({{ fit_weight }} * scores.fit_score + (1 - {{ fit_weight }})
                       * least(greatest(coalesce(history_then.behavior_then, 0), 0), 100), 1)
        end as band_score,
        stages.mql_at is not null as is_mql,
        stages.sql_at is not null as is_sql,
        stages.opportunity_at is not null as has_opportunity,
        stages.won_at is not null as is_won
    from scores
    inner join stages on scores.person_id = stages.person_id
    left join history_then on scores.person_id = history_then.person_id
),

banded as (
    select
        *,
        least(cast(floor(band_score / 10) as integer) * 10, 90) as band_floor
    from banded_scores
)

select
    lpad(cast(band_floor as {{ dbt.type_string() }}), 2, '0') || '-'
        || case when band_floor = 90 then '100'
                else lpad(cast(band_floor + 9 as {{ dbt.type_string() }}), 2, '0') end
        as score_band,
    band_floor as score_band_floor,
    count(*) as people,
    count(case when is_mql then 1 end) as mqls,
    count(case when is_sql then 1 end) as sqls,
    count(case when has_opportunity then 1 end) as opportunities,
    count(case when is_won then 1 end) as wins,
    round(count(case when is_mql and is_sql then 1 end) * 1.0
          / nullif(count(case when is_mql then 1 end), 0), 4) as mql_to_sql_rate,
    round(count(case when is_won then 1 end) * 1.0
          / nullif(count(case when has_opportunity then 1 end), 0), 4) as win_rate
from banded
group by band_floor
