{#- Behaviour points per person event (seed scoring_rules, axis behavior): the event
    type's points plus the page-flag points of pricing / comparison page views. Events of
    people only (anonymous cookies score nothing until they are stitched), one real-world
    action once (the event log is de-duplicated across sources). Set-based and linear: the
    points of each event type and each page flag are looked up, never a join of every
    event with every rule. -#}
with events as (
    select event_id, person_id, event_type, occurred_at, is_pricing_page, is_comparison_page
    from {{ ref('int_events_resolved') }}
    where person_id is not null
),

rules as (
    select attribute, match_value, points
    from {{ ref('scoring_rules') }}
    where axis = 'behavior'
),

type_points as (
    select match_value as event_type, sum(points) as points
    from rules
    where attribute = 'event_type'
    group by match_value
),

flag_points as (
    select
        sum(case when match_value = 'pricing' then points end) as pricing_points,
        sum(case when match_value = 'comparison' then points end) as comparison_points
    from rules
    where attribute = 'page_flag'
),

scored as (
    select
        events.*,
        type_points.points as type_points,
        case
            when events.event_type = 'page_view' and events.is_pricing_page
                then flag_points.pricing_points
        end as pricing_points,
        case
            when events.event_type = 'page_view' and events.is_comparison_page
                then flag_points.comparison_points
        end as comparison_points
    from events
    cross join flag_points
    left join type_points on events.event_type = type_points.event_type
)

select
    event_id,
    person_id,
    event_type,
    occurred_at,
    is_pricing_page,
    cast(coalesce(type_points, 0) + coalesce(pricing_points, 0) + coalesce(comparison_points, 0)
        as {{ type_double() }}) as points
from scored
-- an event scores when a rule names it (a rule worth 0 points still makes it a moment)
where type_points is not null or pricing_points is not null or comparison_points is not null
