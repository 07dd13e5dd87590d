{#- One row per touch: a dated marketing or sales contact that can take attribution credit.
    Which event types count, and how, is seed attribution_touch_types:
    - touch_kind `web_session`: the web events of one person (else one unstitched cookie)
      less than var attribution_session_minutes apart are ONE touch, the way GA4 and
      Marketo Measure count a visit: the ad click, its landing page view, the Munchkin
      copy of the same page view, later pages, a download and a form fill of that visit are
      one touch. Its channel / campaign are those of the visit's first event that is not
      Direct (a visit's inner pages carry no source of their own), else Direct; its moment
      is the visit's first event.
    - touch_kind `single`: each event is its own touch (webinars, calls, meetings).
    touch_id is the event_id of the event that gives the touch its channel.
    campaign_key: the touch's campaign as a key of int_attribution_campaigns: by the
    event's campaign_id (ad clicks carry the platform campaign id once the event log maps
    gclid -> campaign), else by the Google Ads click_view of its gclid
    (stg_google_ads__clicks), else by the normalised campaign name (UTM campaign), else the
    normalised name itself (a campaign we know no cost of). -#}
with events as (
    select
        events.event_id,
        events.occurred_at,
        events.event_type,
        events.person_id,
        events.anonymous_id,
        events.account_id,
        events.channel,
        events.campaign,
        events.campaign_id,
        events.click_id,
        events.click_id_type,
        touch_types.touch_kind,
        coalesce(events.person_id, {{ dbt.concat(["'cookie:'", "events.anonymous_id"]) }})
            as subject_id
    from {{ ref('int_events_resolved') }} as events
    inner join {{ ref('attribution_touch_types') }} as touch_types
        on events.event_type = touch_types.event_type
    where (events.person_id is not null or events.anonymous_id is not null)
      and events.occurred_at <= {{ as_of() }}
),

web as (
    -- sessions are found on narrow rows (the window sorts carry five columns, not fifteen);
    -- the event that gives each touch its channel is joined back for the rest
    select event_id, subject_id, occurred_at, event_type, channel
    from events
    where touch_kind = 'web_session'
),

web_flagged as (
    select
        *,
        case
            when lag(occurred_at) over subject_order is null
                or {{ dbt.datediff('lag(occurred_at) over subject_order', 'occurred_at', 'second') }}
                    > {{ var('attribution_session_minutes', 30) }} * 60
                then 1
            else 0
        end as starts_session
    from web
    window subject_order as (partition by subject_id order by occurred_at, event_id)
),

web_numbered as (
    select
        *,
        sum(starts_session) over (
            partition by subject_id order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) as session_number
    from web_flagged
),

web_sessions as (
    -- the touch's channel is its first event that is not Direct, else its first event:
    -- the smallest (Direct last, time, event_id) as one sortable key
    {%- set channel_order = dbt.concat([
        "case when channel = 'Direct' then '1' else '0' end",
        event_order_key('occurred_at', 'event_id'),
    ]) %}
    select
        subject_id,
        session_number,
        min(occurred_at) as session_started_at,
        count(*) as events_in_touch,
        max(case when event_type = 'form_submission' then 1 else 0 end) as form_events,
        {{ min_by('event_id', channel_order) }} as touch_event_id
    from web_numbered
    group by subject_id, session_number
),

touches as (
    select
        events.event_id as touch_id, events.subject_id, events.person_id, events.anonymous_id,
        events.account_id, web_sessions.session_started_at as touch_at, events.event_type,
        events.touch_kind, events.channel, events.campaign, events.campaign_id, events.click_id,
        events.click_id_type, web_sessions.events_in_touch,
        web_sessions.form_events > 0 as has_form_submission
    from web_sessions
    inner join events on web_sessions.touch_event_id = events.event_id

    union all

    select
        event_id as touch_id, subject_id, person_id, anonymous_id, account_id,
        occurred_at as touch_at, event_type, touch_kind, channel, campaign, campaign_id,
        click_id, click_id_type, 1 as events_in_touch, false as has_form_submission
    from events
    where touch_kind = 'single'
),

campaigns as (
    select * from {{ ref('int_attribution_campaigns') }}
),

clicks as (
    select gclid, min(campaign_id) as campaign_id
    from {{ ref('stg_google_ads__clicks') }}
    group by gclid
),

by_name as (
    select name_key, min(campaign_key) as campaign_key
    from campaigns
    where name_key is not null
    group by name_key
)

select
    touches.touch_id,
    touches.subject_id,
    touches.person_id,
    touches.anonymous_id,
    touches.account_id,
    touches.touch_at,
    touches.event_type,
    touches.touch_kind,
    touches.channel,
    touches.campaign,
    touches.campaign_id,
    coalesce(
        by_id.campaign_key,
        by_click.campaign_key,
        by_name.campaign_key,
        {{ attribution_campaign_key('touches.campaign') }}
    ) as campaign_key,
    touches.events_in_touch,
    touches.has_form_submission
from touches
left join (select distinct campaign_key from campaigns) as by_id
    on touches.campaign_id = by_id.campaign_key
left join clicks
    on touches.click_id_type = 'gclid' and touches.click_id = clicks.gclid
left join (select distinct campaign_key from campaigns) as by_click
    on clicks.campaign_id = by_click.campaign_key
left join by_name
    on {{ attribution_campaign_key('touches.campaign') }} = by_name.name_key
