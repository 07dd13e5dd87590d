{#- The scoring feedback loop: per score band (deciles of 10 points of the combined score)
    how many people, how many became MQL, how many of those reached SQL, and how many
    with an opportunity won. If the score predicts revenue, the rates rise with the band. -#}
with scores as (
    select * from {{ ref('fct_lead_scores') }}
),

stages as (
    select * from {{ ref('fct_lifecycle_stages') }}
),

banded as (
    select
        scores.person_id,
        least(cast(floor(scores.score / 10) as integer) * 10, 90) as band_floor,
        stages.mql_at is not null as is_mql,
        stages.sql_at is not null as is_sql,
        stages.opportunity_at is not null as has_opportunity,
        stages.won_at is not null as is_won
    from scores
    inner join stages on scores.person_id = stages.person_id
)

select
    lpad(cast(band_floor as varchar), 2, '0') || '-'
        || case when band_floor = 90 then '100' else lpad(cast(band_floor + 9 as varchar), 2, '0') end
        as score_band,
    band_floor as score_band_floor,
    count(*) as people,
    count(*) filter (where is_mql) as mqls,
    count(*) filter (where is_sql) as sqls,
    count(*) filter (where has_opportunity) as opportunities,
    count(*) filter (where is_won) as wins,
    round(count(*) filter (where is_mql and is_sql) / nullif(count(*) filter (where is_mql), 0), 4)
        as mql_to_sql_rate,
    round(count(*) filter (where is_won) / nullif(count(*) filter (where has_opportunity), 0), 4)
        as win_rate
from banded
group by band_floor
