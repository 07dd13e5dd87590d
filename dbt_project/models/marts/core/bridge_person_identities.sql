{#- One row per source identity of a person: Marketo lead, Salesforce lead, Salesforce
    contact, and GA4 cookie (only cookies tied to a person). -#}
with person_identities as (
    select * from {{ ref('int_person_identities') }}
),

cookie_identities as (
    select * from {{ ref('int_ga4_cookie_identities') }}
)

select
    source_system,
    source_id,
    person_id,
    matched_by,
    cast(match_probability as double) as match_probability
from person_identities

union all

select
    'ga4_cookie' as source_system,
    anonymous_id as source_id,
    person_id,
    'ga4_user_id' as matched_by,
    1.0 as match_probability
from cookie_identities
