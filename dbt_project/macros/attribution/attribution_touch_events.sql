{#- The events that can be touches (seed attribution_touch_types, up to as_of, with a person
    or a cookie), each with its subject: the person_id, else `cookie:<anonymous_id>`. One
    select for int_attribution_sessions' body and for its pre-hook, which must see the same
    events to tell which subjects changed. -#}
{% macro attribution_touch_events() -%}
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
{%- endmacro %}

{#- The fingerprint of one subject's touch events (aggregate over the rows of
    attribution_touch_events, grouped by subject_id): every column a session reads, and the
    session gap, so a changed event, a new or lost one, a re-stitched person or another
    var attribution_session_minutes all change it. -#}
{% macro attribution_subject_fingerprint() -%}
    {{ set_fingerprint([
        'event_id', 'occurred_at', 'event_type', 'person_id', 'anonymous_id', 'account_id',
        'channel', 'campaign', 'campaign_id', 'click_id', 'click_id_type', 'touch_kind',
        var('attribution_session_minutes', 30) | int | string,
    ]) }}
{%- endmacro %}

{#- int_attribution_sessions' pre-hook on an incremental build: delete every stored subject
    whose touch events are not what they were (fingerprint differs) or who has none left.
    The body then builds exactly the subjects not stored. -#}
{% macro delete_changed_attribution_subjects() -%}
    delete from {{ this }} as stored
    where not exists (
        select 1
        from (
            select subject_id, {{ attribution_subject_fingerprint() }} as subject_fingerprint
            from ({{ attribution_touch_events() }}) as touch_events
            group by subject_id
        ) as current_subjects
        where current_subjects.subject_id = stored.subject_id
          and current_subjects.subject_fingerprint = stored.subject_fingerprint
    )
{%- endmacro %}
