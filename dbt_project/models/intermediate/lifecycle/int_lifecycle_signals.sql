{#- Every dated signal that a person reached a lifecycle stage, before back-fill: one row
    per (person, stage, reached_at). Which events and Salesforce statuses count is data
    (seed stage_definitions). fct_lifecycle_stages turns these into first-reached times.
    - lead: the first event of a type listed for stage lead (record created, form fill)
    - mql: Salesforce status MQL, or the first moment the score rule held (int_score_history)
    - sal: Salesforce accepted status, or the first sales touch at/after the first MQL signal
    - sql: Salesforce qualified status, or a new-business opportunity created
    - opportunity / won: the person's first new-business opportunity created / won
    - lost: every new-business opportunity of the person closed lost (dated by the last loss)
    - recycled: every recycle status change (all of them; the latest decides) -#}
with definitions as (
    select * from {{ ref('stage_definitions') }}
),

events as (
    select person_id, event_type, occurred_at
    from {{ ref('fct_events') }}
    where person_id is not null
      and occurred_at <= {{ as_of() }}
),

event_signals as (
    -- stages reached by an event type (lead_created, form_submission, ...)
    select events.person_id, definitions.stage, events.occurred_at as reached_at
    from events
    inner join definitions
        on definitions.signal_type = 'event_type' and definitions.signal_value = events.event_type
    where definitions.stage in ('lead')

    union all

    -- Salesforce lead status changes, already typed as mql / sal / sql / recycled events
    select person_id, event_type as stage, occurred_at as reached_at
    from events
    where event_type in ('mql', 'sal', 'sql', 'recycled')
),

score_mql as (
    select person_id, 'mql' as stage, min(evaluated_at) as reached_at
    from {{ ref('int_score_history') }}
    where meets_mql_rule
      and (select count(*) from definitions where signal_type = 'score_rule' and stage = 'mql') > 0
    group by person_id
),

first_mql as (
    select person_id, min(reached_at) as mql_signal_at
    from (
        select person_id, reached_at from event_signals where stage = 'mql'
        union all
        select person_id, reached_at from score_mql
    )
    group by person_id
),

sales_touch_sal as (
    select events.person_id, 'sal' as stage, min(events.occurred_at) as reached_at
    from events
    inner join first_mql on events.person_id = first_mql.person_id
    inner join definitions
        on definitions.signal_type = 'sales_touch_after_mql'
        and definitions.signal_value = events.event_type
    where events.occurred_at >= first_mql.mql_signal_at
    group by events.person_id
),

person_opportunities as (
    select
        links.person_id,
        opportunities.created_at,
        opportunities.closed_at,
        opportunities.is_closed,
        opportunities.is_won
    from {{ ref('int_person_opportunities') }} as links
    inner join {{ ref('int_opportunities_enriched') }} as opportunities
        on links.opportunity_id = opportunities.opportunity_id
    where coalesce(opportunities.opportunity_type, 'New Business') = 'New Business'
      and opportunities.created_at <= {{ as_of() }}
),

opportunity_signals as (
    select person_id, 'opportunity' as stage, min(created_at) as reached_at
    from person_opportunities
    group by person_id

    union all

    select person_id, 'sql' as stage, min(created_at) as reached_at
    from person_opportunities
    group by person_id

    union all

    select person_id, 'won' as stage, min(closed_at) as reached_at
    from person_opportunities
    where is_won
    group by person_id

    union all

    select person_id, 'lost' as stage, max(closed_at) as reached_at
    from person_opportunities
    group by person_id
    having bool_and(is_closed and not is_won)
)

select person_id, stage, reached_at from event_signals
union all
select person_id, stage, reached_at from score_mql
union all
select person_id, stage, reached_at from sales_touch_sal
union all
select person_id, stage, reached_at from opportunity_signals where reached_at is not null
