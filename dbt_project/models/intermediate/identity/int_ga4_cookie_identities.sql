{#- Identity stitching: a GA4 cookie (user_pseudo_id) belongs to the person whose
    normalised e-mail hashes (SHA-256 hex, as the site sets user_id) to the cookie's
    user_id. All events of the cookie, the anonymous ones before the form fill or login
    too, then belong to that person. A cookie seen with several user_ids (a shared
    browser) goes to the person identified most recently. -#}
with events as (
    -- the GA4 base holds exactly staging's current events (one row each), already parsed:
    -- reading it here spares parsing every GA4 event ever delivered again each night
    select anonymous_id, user_id_hash, occurred_at
    from {{ ref('int_ga4_events_sessioned') }}
    where user_id_hash is not null
),

people as (
    select distinct
        sha256(records.email_normalized) as email_hash,
        identities.person_id
    from {{ ref('int_person_records') }} as records
    inner join {{ ref('int_person_identities') }} as identities
        on records.node_id = identities.node_id
    where records.email_normalized is not null
),

identified as (
    select
        events.anonymous_id,
        people.person_id,
        min(events.occurred_at) as first_identified_at,
        max(events.occurred_at) as last_identified_at
    from events
    inner join people on events.user_id_hash = people.email_hash
    group by events.anonymous_id, people.person_id
)

select
    anonymous_id,
    person_id,
    first_identified_at,
    last_identified_at
from identified
qualify row_number() over (
    partition by anonymous_id order by last_identified_at desc, person_id
) = 1
