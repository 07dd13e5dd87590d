{#- Cross-source duplicates: the same real-world action recorded by two systems becomes
    ONE event of the log. The rules are data (seed event_deduplication): for an event type,
    each source system's precedence and a time window. An event is a duplicate when the
    same person has an event of the same type from a source with a lower precedence
    number within the window, and the two are each other's nearest (one-to-one: two real
    form fills a minute apart stay two). Examples: GA4 form_submit and Marketo Fill Out
    Form of one submission (GA4 kept: it carries the session's traffic source and click
    id); Marketo webinar program status and the Salesforce campaign member Marketo's sync
    created (Marketo kept: exact time). Events of unresolved identities are never
    duplicates (no person to compare). One row per dropped event, with the event it
    duplicates; fct_events leaves these rows out. -#}
with rules as (
    select * from {{ ref('event_deduplication') }}
),

candidates as (
    select
        events.event_id,
        events.source_system,
        events.source_record_id,
        events.event_type,
        events.occurred_at,
        ids.person_id,
        rules.precedence,
        rules.window_minutes
    from {{ ref('int_events_base') }} as events
    inner join rules
        on events.event_type = rules.event_type and events.source_system = rules.source_system
    inner join {{ ref('int_person_source_ids') }} as ids
        on events.identity_source_system = ids.source_system
        and events.identity_source_id = ids.source_id
),

pairs as (
    select
        dup.event_id,
        dup.source_system,
        dup.source_record_id,
        dup.event_type,
        dup.occurred_at,
        dup.person_id,
        kept.event_id as duplicate_of_event_id,
        kept.source_system as kept_source_system,
        abs({{ epoch_seconds('kept.occurred_at') }} - {{ epoch_seconds('dup.occurred_at') }})
            as seconds_apart
    from candidates as dup
    inner join candidates as kept
        on dup.person_id = kept.person_id
        and dup.event_type = kept.event_type
        and kept.precedence < dup.precedence
        and abs({{ epoch_seconds('kept.occurred_at') }} - {{ epoch_seconds('dup.occurred_at') }})
            <= dup.window_minutes * 60
),

mutual as (
    select
        *,
        row_number() over (
            partition by event_id order by seconds_apart, duplicate_of_event_id
        ) as rank_for_duplicate,
        row_number() over (
            partition by duplicate_of_event_id, source_system order by seconds_apart, event_id
        ) as rank_for_kept
    from pairs
)

select
    event_id,
    source_system,
    source_record_id,
    event_type,
    occurred_at,
    person_id,
    duplicate_of_event_id,
    kept_source_system,
    seconds_apart
from mutual
where rank_for_duplicate = 1 and rank_for_kept = 1
