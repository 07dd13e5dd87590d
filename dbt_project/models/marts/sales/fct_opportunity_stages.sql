{#- One row per opportunity x funnel stage it reached or skipped (seed opportunity_stages
    rows with a stage_order, up to the furthest stage the opportunity reached), from the
    OpportunityHistory visits (int_opportunity_stage_visits).
    - first_entered_at: its own first visit of the stage; null when it never had one.
    - reached_at: back-filled like the lifecycle stages: reaching a later stage implies
      the earlier ones, so reached_at = the earliest first entry of this or any later
      stage. Monotone along the funnel by construction, which the funnel mart relies on.
    - is_skipped: reached (a later stage was entered) without a visit of its own; counted
      explicitly in mart_funnel.
    - visits / days_in_stage: how often it entered the stage and the total time spent in
      it (regressions add visits), up to as_of for the current stage of an open deal. -#}
with visits as (
    select * from {{ ref('int_opportunity_stage_visits') }}
),

stages as (
    select stage_name, stage_order from {{ ref('opportunity_stages') }}
    where stage_order is not null
),

furthest as (
    select opportunity_id, max(stage_order) as furthest_stage_order
    from visits
    where stage_order is not null
    group by opportunity_id
),

own as (
    select
        opportunity_id,
        stage_name,
        min(entered_at) as first_entered_at,
        count(*) as visits,
        sum(days_in_stage) as days_in_stage
    from visits
    where stage_order is not null
    group by opportunity_id, stage_name
),

grid as (
    select
        furthest.opportunity_id,
        stages.stage_name,
        stages.stage_order,
        own.first_entered_at,
        coalesce(own.visits, 0) as visits,
        own.days_in_stage
    from furthest
    inner join stages on stages.stage_order <= furthest.furthest_stage_order
    left join own
        on furthest.opportunity_id = own.opportunity_id
        and stages.stage_name = own.stage_name
)

select
    opportunity_id,
    stage_name,
    cast(stage_order as integer) as stage_order,
    first_entered_at,
    min(first_entered_at) over (
        partition by opportunity_id order by stage_order desc
        rows between unbounded preceding and current row
    ) as reached_at,
    first_entered_at is null as is_skipped,
    cast(visits as integer) as visits,
    days_in_stage
from grid
