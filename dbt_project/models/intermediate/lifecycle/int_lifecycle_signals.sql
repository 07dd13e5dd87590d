{#- Every dated signal that a person reached a lifecycle stage, before back-fill: one row
    per (person, stage, reached_at, signal_type). WHICH signals count is data: every row
    of seed stage_definitions, by signal_type (nothing about a stage is hard-coded here):
    - event_type: each event of that type (lead: record created, form fill);
    - lead_status: each Salesforce status change to a status listed for the stage (the
      lifecycle events of int_events__salesforce_lifecycle are typed by stage);
    - score_rule: each moment the score rule STARTS to hold (the first time and every
      re-qualification after it stopped holding): score >= min_score AND fit letter in
      fit_grades AND pricing-page views on >= min_intent_days days in the intent window;
    - sales_touch_after_mql: the first sales touch of a listed type after each MQL signal
      (a follow-up call after recycling, without a new MQL, is no new SAL);
    - opportunity_created / opportunity_won: each opportunity of the listed type the person
      is on (contact role or converted lead) created / won;
    - all_opportunities_lost: every such opportunity of the person closed lost (dated by
      the last loss).
    fct_lifecycle_stages turns these into first-reached times and the current stage. -#}
with definitions as (
    select * from {{ ref('stage_definitions') }}
),

events as (
    select person_id, event_type, occurred_at
    from {{ ref('int_events_resolved') }}
    where person_id is not null
      and occurred_at <= {{ as_of() }}
),

event_signals as (
    select events.person_id, definitions.stage, events.occurred_at as reached_at,
           definitions.signal_type
    from events
    inner join definitions
        on definitions.signal_type = 'event_type' and definitions.signal_value = events.event_type
),

status_signals as (
    -- Salesforce lead status changes, already typed by stage in the event log
    select events.person_id, events.event_type as stage, events.occurred_at as reached_at,
           'lead_status' as signal_type
    from events
    where events.event_type in (
        select distinct stage from definitions where signal_type = 'lead_status'
    )
),

score_rules as (
    select
        stage,
        min_score,
        '|' || fit_grades || '|' as fit_grades_list,
        min_intent_days
    from definitions
    where signal_type = 'score_rule'
),

score_moments as (
    select
        history.person_id,
        history.evaluated_at,
        score_rules.stage,
        history.score >= score_rules.min_score
            and {{ dbt.position("'|' || history.fit_letter || '|'", 'score_rules.fit_grades_list') }} > 0
            and history.pricing_view_days >= score_rules.min_intent_days as holds
    from {{ ref('int_score_history') }} as history
    cross join score_rules
),

score_signals as (
    select person_id, stage, evaluated_at as reached_at, 'score_rule' as signal_type
    from (
        select
            *,
            lag(holds) over (partition by person_id, stage order by evaluated_at) as held_before
        from score_moments
    ) as transitions
    where holds and not coalesce(held_before, false)
),

mql_signals as (
    select person_id, reached_at from status_signals where stage = 'mql'
    union all
    select person_id, reached_at from score_signals where stage = 'mql'
    union all
    select person_id, reached_at from event_signals where stage = 'mql'
),

sales_touches as (
    select events.person_id, events.occurred_at, definitions.stage
    from events
    inner join definitions
        on definitions.signal_type = 'sales_touch_after_mql'
        and definitions.signal_value = events.event_type
),

touch_timeline as (
    -- MQL signals and sales touches in time order (an MQL before a touch at the same instant)
    select person_id, reached_at as signal_at, 0 as kind, cast(null as {{ dbt.type_string() }}) as stage
    from mql_signals
    union all
    select person_id, occurred_at, 1, stage from sales_touches
),

touch_marks as (
    select
        *,
        max(case when kind = 0 then signal_at end) over (
            partition by person_id order by signal_at, kind, stage
            rows between unbounded preceding and current row
        ) as last_mql_at,
        max(case when kind = 1 then signal_at end) over (
            partition by person_id order by signal_at, kind, stage
            rows between unbounded preceding and 1 preceding
        ) as previous_touch_at
    from touch_timeline
),

touch_signals as (
    -- the first sales touch after each MQL signal
    select person_id, stage, signal_at as reached_at, 'sales_touch_after_mql' as signal_type
    from touch_marks
    where kind = 1
      and last_mql_at is not null
      and (previous_touch_at is null or previous_touch_at < last_mql_at)
),

person_opportunities as (
    select
        links.person_id,
        milestones.opportunity_type,
        milestones.created_at,
        milestones.closed_at,
        milestones.is_closed,
        milestones.is_won
    from {{ ref('int_person_opportunities') }} as links
    inner join {{ ref('int_opportunity_milestones') }} as milestones
        on links.opportunity_id = milestones.opportunity_id
    where milestones.created_at <= {{ as_of() }}
),

opportunity_signals as (
    select person_opportunities.person_id, definitions.stage,
           person_opportunities.created_at as reached_at, definitions.signal_type
    from person_opportunities
    inner join definitions
        on definitions.signal_type = 'opportunity_created'
        and definitions.signal_value = person_opportunities.opportunity_type

    union all

    select person_opportunities.person_id, definitions.stage,
           person_opportunities.closed_at, definitions.signal_type
    from person_opportunities
    inner join definitions
        on definitions.signal_type = 'opportunity_won'
        and definitions.signal_value = person_opportunities.opportunity_type
    where person_opportunities.is_won
      and person_opportunities.closed_at <= {{ as_of() }}

    union all

    select person_opportunities.person_id, definitions.stage,
           max(person_opportunities.closed_at), definitions.signal_type
    from person_opportunities
    inner join definitions
        on definitions.signal_type = 'all_opportunities_lost'
        and definitions.signal_value = person_opportunities.opportunity_type
    group by person_opportunities.person_id, definitions.stage, definitions.signal_type
    having count(*) = count(
        case
            when person_opportunities.is_closed and not person_opportunities.is_won
                and person_opportunities.closed_at <= {{ as_of() }}
                then 1
        end
    )
),

signals as (
    select person_id, stage, reached_at, signal_type from event_signals
    union all
    select person_id, stage, reached_at, signal_type from status_signals
    union all
    select person_id, stage, reached_at, signal_type from score_signals
    union all
    select person_id, stage, reached_at, signal_type from touch_signals
    union all
    select person_id, stage, reached_at, signal_type from opportunity_signals
)

select person_id, stage, reached_at, signal_type
from signals
where reached_at is not null
