{#- Behaviour points per person event (seed scoring_rules, axis behavior): the event
    type's points plus the page-flag points of pricing / comparison page views. Events of
    people only (anonymous cookies score nothing until they are stitched). -#}
with events as (
    select event_id, person_id, event_type, occurred_at, is_pricing_page, is_comparison_page
    from {{ ref('fct_events') }}
    where person_id is not null
),

rules as (
    select attribute, match_value, points
    from {{ ref('scoring_rules') }}
    where axis = 'behavior'
),

points as (
    select
        events.event_id,
        coalesce(sum(rules.points), 0) as points
    from events
    inner join rules
        on (rules.attribute = 'event_type' and rules.match_value = events.event_type)
        or (
            rules.attribute = 'page_flag' and events.event_type = 'page_view'
            and (
                (rules.match_value = 'pricing' and events.is_pricing_page)
                or (rules.match_value = 'comparison' and events.is_comparison_page)
            )
        )
    group by events.event_id
)

select
    events.event_id,
    events.person_id,
    events.event_type,
    events.occurred_at,
    events.is_pricing_page,
    cast(points.points as double) as points
from events
inner join points on events.event_id = points.event_id
