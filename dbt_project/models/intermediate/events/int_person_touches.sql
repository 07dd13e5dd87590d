{#- First and last marketing touch of each person (seed event_types is_marketing_touch),
    up to as_of: what the CRM shows as first / last touch channel, and the campaign of the
    first touch (used for first-touch campaign credit). Ties at the same instant are
    broken by event_id so the result is reproducible. -#}
{%- set order_key = event_order_key('events.occurred_at', 'events.event_id') -%}
with touches as (
    select
        events.person_id,
        events.occurred_at,
        events.channel,
        events.campaign,
        events.campaign_id,
        {{ order_key }} as touch_order
    from {{ ref('int_events_resolved') }} as events
    inner join {{ ref('event_types') }} as event_types
        on events.event_type = event_types.event_type
    where event_types.is_marketing_touch
      and events.person_id is not null
      and events.occurred_at <= {{ as_of() }}
)

select
    person_id,
    min(occurred_at) as first_touch_at,
    {{ min_by('channel', 'touch_order') }} as first_touch_channel,
    {{ min_by('campaign', 'touch_order') }} as first_touch_campaign,
    {{ min_by('campaign_id', 'touch_order') }} as first_touch_campaign_id,
    max(occurred_at) as last_touch_at,
    {{ max_by('channel', 'touch_order') }} as last_touch_channel,
    count(*) as marketing_touches
from touches
group by person_id
