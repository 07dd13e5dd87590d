{#- One row per visit of an opportunity to a stage, from the OpportunityHistory up to as_of.
    Salesforce writes a history row for every change of stage, amount, close date or
    probability, so consecutive rows with the same stage are one visit (collapsed here); a
    stage entered again later (a regression, or a deal reopened after Closed Lost) is a
    new visit. An opportunity without any history row (created before field history was
    on, or a trimmed export) gets one visit of its current stage from its creation. History
    of an opportunity staging does not have (its only version was quarantined, say an
    Amount of "TBD") is left out: without the deal there is no account, amount or owner to
    put the visits on; stg_salesforce__opportunity_history warns with their count.
    exited_at = when the next visit started (null for the current visit); days_in_stage
    is elapsed time, up to as_of for the current visit of an open deal and null for the
    current visit of a closed one (a closed stage is not time spent selling). Stage order
    and flags come from seed opportunity_stages; an unknown stage has no order. -#}
{%- set as_of = as_of() -%}
with opportunities as (
    select opportunity_id, stage_name, created_at
    from {{ ref('stg_salesforce__opportunities') }}
),

history as (
    select opportunity_history_id, opportunity_id, stage_name, created_at
    from {{ ref('stg_salesforce__opportunity_history') }} as history
    where created_at <= {{ as_of }}
      and exists (
          select 1 from opportunities where opportunities.opportunity_id = history.opportunity_id
      )
),

stages as (
    select * from {{ ref('opportunity_stages') }}
),

without_history as (
    select
        opportunities.opportunity_id as opportunity_history_id,
        opportunities.opportunity_id,
        opportunities.stage_name,
        opportunities.created_at
    from opportunities
    where opportunities.created_at <= {{ as_of }}
      and not exists (
          select 1 from history where history.opportunity_id = opportunities.opportunity_id
      )
),

rows_in_order as (
    select *, true as is_from_history from history
    union all
    select *, false as is_from_history from without_history
),

marked as (
    select
        *,
        case
            when lag(stage_name) over (
                partition by opportunity_id order by created_at, opportunity_history_id
            ) is not distinct from stage_name then 0
            else 1
        end as starts_visit
    from rows_in_order
),

numbered as (
    select
        *,
        sum(starts_visit) over (
            partition by opportunity_id order by created_at, opportunity_history_id
            rows between unbounded preceding and current row
        ) as visit_number
    from marked
),

visits as (
    select
        opportunity_id,
        visit_number,
        min(stage_name) as stage_name,
        min(created_at) as entered_at,
        {{ dbt.bool_or('is_from_history') }} as is_from_history
    from numbered
    group by opportunity_id, visit_number
),

sequenced as (
    select
        visits.*,
        lead(visits.entered_at) over (
            partition by visits.opportunity_id order by visits.visit_number
        ) as exited_at,
        lag(stages.stage_order) over (
            partition by visits.opportunity_id order by visits.visit_number
        ) as previous_stage_order,
        stages.stage_order,
        coalesce(stages.is_qualified, false) as is_qualified_stage,
        coalesce(stages.is_closed, lower(visits.stage_name) like 'closed%')
            as is_closed_stage,
        coalesce(stages.is_won, lower(visits.stage_name) = 'closed won') as is_won_stage,
        stages.stalled_after_days,
        stages.stage_name is not null as is_known_stage
    from visits
    left join stages on visits.stage_name = stages.stage_name
)

select
    opportunity_id,
    cast(visit_number as integer) as visit_number,
    stage_name,
    stage_order,
    is_known_stage,
    is_qualified_stage,
    is_closed_stage,
    is_won_stage,
    stalled_after_days,
    entered_at,
    exited_at,
    exited_at is null as is_current_visit,
    coalesce(stage_order < previous_stage_order, false) as is_regression,
    is_from_history,
    case
        when exited_at is not null then {{ days_between('entered_at', 'exited_at') }}
        when not is_closed_stage then {{ days_between('entered_at', as_of) }}
    end as days_in_stage
from sequenced
