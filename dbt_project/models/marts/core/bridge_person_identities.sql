{#- One row per source identity of a person: Marketo lead, Salesforce lead, Salesforce
    contact, and GA4 cookie (only cookies tied to a person). -#}
select
    source_system,
    source_id,
    person_id,
    matched_by,
    cast(match_probability as double) as match_probability
from {{ ref('int_person_source_ids') }}
