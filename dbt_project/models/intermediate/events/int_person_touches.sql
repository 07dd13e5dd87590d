{#- First and last marketing touch of each person (seed event_types is_marketing_touch),
    up to var as_of: what the CRM shows as first / last touch channel, and the campaign of
    the first touch (used for first-touch campaign credit). Ties at the same instant are
    broken by event_id so the result is reproducible. -#}
with touches as (
    select events.person_id, events.occurred_at, events.event_id, events.channel,
           events.campaign, events.campaign_id
    from {{ ref('fct_events') }} as events
    inner join {{ ref('event_types') }} as event_types
        on events.event_type = event_types.event_type
    where event_types.is_marketing_touch
      and events.person_id is not null
      and events.occurred_at <= {{ as_of() }}
)

select
    person_id,
    min(occurred_at) as first_touch_at,
    arg_min(channel, (occurred_at, event_id)) as first_touch_channel,
    arg_min(campaign, (occurred_at, event_id)) as first_touch_campaign,
    arg_min(campaign_id, (occurred_at, event_id)) as first_touch_campaign_id,
    max(occurred_at) as last_touch_at,
    arg_max(channel, (occurred_at, event_id)) as last_touch_channel,
    count(*) as marketing_touches
from touches
group by person_id
