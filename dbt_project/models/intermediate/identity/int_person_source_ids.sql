{{ config(materialized='view') }}
{#- Every source identity of a person in one lookup: Marketo lead, Salesforce lead,
    Salesforce contact (int_person_identities) and GA4 cookie (int_ga4_cookie_identities,
    only cookies tied to a person). The event log and the lifecycle models join through it;
    marts.bridge_person_identities publishes it. -#}
select
    source_system,
    source_id,
    person_id,
    matched_by,
    cast(match_probability as {{ type_double() }}) as match_probability
from {{ ref('int_person_identities') }}

union all

select
    'ga4_cookie' as source_system,
    anonymous_id as source_id,
    person_id,
    'ga4_user_id' as matched_by,
    cast(1.0 as {{ type_double() }}) as match_probability
from {{ ref('int_ga4_cookie_identities') }}
