{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{% if is_incremental() %}{{ delete_changed_attribution_subjects() }}{% endif %}"
) }}
{#- One row per touch, without its campaign key (int_attribution_touches adds it): a dated
    marketing or sales contact that can take attribution credit. Which event types count,
    and how, is seed attribution_touch_types (macro attribution_touch_events):
    - touch_kind `web_session`: the web events of one person (else one unstitched cookie)
      less than var attribution_session_minutes apart are ONE touch, the way GA4 and
      Marketo Measure count a visit: the ad click, its landing page view, the Munchkin
      copy of the same page view, later pages, a download and a form fill of that visit are
      one touch. Its channel / campaign are those of the visit's first event that is not
      Direct (a visit's inner pages carry no source of their own), else Direct; its moment
      is the visit's first event.
    - touch_kind `single`: each event is its own touch (webinars, calls, meetings).
    touch_id is the event_id of the event that gives the touch its channel.

    Incremental per subject (a person, else a cookie): a subject's touches depend on its
    events alone, so a night recomputes only the subjects whose touch events changed. Each
    row keeps subject_fingerprint, the fingerprint of all its subject's touch events (macro
    attribution_subject_fingerprint); the pre-hook deletes the subjects whose fingerprint
    is no longer the current one (an event new, gone or changed, a person re-stitched, the
    session gap changed) or who have no touch event left, and the body builds the subjects
    not stored. An edit of seed attribution_touch_types or of the session gap changes the
    fingerprints it reaches, so no flag is needed; after changing this model's SQL run
    `revloop run --full-refresh`. -#}
with all_events as (
    {{ attribution_touch_events() | indent(4) }}
),

events as (
    select * from all_events
    {%- if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as stored where stored.subject_id = all_events.subject_id
    )
    {%- endif %}
),

fingerprints as (
    select subject_id, {{ attribution_subject_fingerprint() }} as subject_fingerprint
    from events
    group by subject_id
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
)

select
    touches.*,
    fingerprints.subject_fingerprint
from touches
inner join fingerprints on touches.subject_id = fingerprints.subject_id
