{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='refresh_key',
    on_schema_change='fail',
    pre_hook="{% if is_incremental() %}delete from {{ this }} as base where base.source_system <> 'ga4' or base.rules_fingerprint is distinct from {{ event_rules_fingerprint() }} or not exists (select 1 from (select distinct source_file, batch_id from {{ ref('int_ga4_events_sessioned') }}) as current_delivery where current_delivery.source_file = base.source_file and current_delivery.batch_id = base.batch_id){% endif %}"
) }}
{#- The stable event base: every source's events in one shape, with what does not depend on
    who the person is: the stable event_id, the channel (seed channel_mapping) and the
    normalised keys the campaign lookup needs. No person, account or cross-source duplicate:
    int_events_resolved joins the current identity map, the ad campaign keys and
    int_event_duplicates at read time, so a re-clustering of identities, a late ad campaign
    or a newly found duplicate changes no stored row, and a night rewrites only the events
    that changed.

    Channel: an event matches a rule when every non-empty condition holds (click id type
    equal, source / medium regex full match on lower-cased values, campaign type equal,
    event type equal); the matching rule with the lowest rule_priority wins, the catch-all
    999 gives 'Other'. The rules are evaluated once per DISTINCT combination of those five
    values in the rows being built (a few thousand), never per event × rule, and the result
    is joined back: linear in the events.

    Incremental (delete+insert on refresh_key): GA4's events, the bulk (10M at two years),
    are recomputed per cookie, exactly the cookies int_ga4_events_sessioned recomputed: those
    with a row in a delivery that is new to this table or gone from the GA4 base (macro
    changed_delivery_keys compares this table's deliveries with the GA4 base's); refresh_key
    is the cookie. The other sources (a small share of the events; Salesforce
    versions arrive late and change old events) are recomputed whole every build: the
    pre-hook deletes them, and their refresh_key is null. The pre-hook also deletes the GA4
    rows of deliveries the GA4 base no longer holds (a cookie left with no current event has
    nothing to insert) and, when seed channel_mapping or event_types changed since a row was
    stored (rules_fingerprint, macro event_rules_fingerprint), every row: the build then
    recomputes everything, so editing a seed needs no --full-refresh. After changing this
    model's SQL run `revloop run --full-refresh` (dbt --full-refresh). -#}
-- depends_on: {{ ref('int_ga4_events_sessioned') }}
{%- set reclassify = false -%}
{%- if is_incremental() and execute -%}
    {%- set stale = run_query('select count(*) from ' ~ this ~ ' where rules_fingerprint is distinct from '
        ~ event_rules_fingerprint()).columns[0].values()[0] -%}
    {%- set reclassify = stale > 0 -%}
    {%- if reclassify -%}
        {{ log(this.identifier ~ ': ' ~ stale ~ ' rows stored under other channel rules or event types: every row is recomputed', info=true) }}
    {%- endif -%}
{%- endif -%}
{%- set changed = changed_delivery_keys(this, ref('int_ga4_events_sessioned'), 'anonymous_id')
    if is_incremental() and not reclassify else none -%}
{%- set columns = unified_event_columns() %}
{#- `keyed` is read twice (its distinct rule inputs, then every row with its channel): each
    read computes it (inline_cte) and reads only the columns it needs, where DuckDB would
    store its ten million wide rows once and spill them to disk (47 s at two years against
    15 s, the same rows). #}
with ga4 as {{ inline_cte() }} (
    select {{ columns | join(', ') }}, source_file, batch_id
    from {{ ref('int_events__ga4') }}
    {%- if changed is not none %}
    where {{ changed_keys_filter('anonymous_id', changed) }}
    {%- endif %}
),

others as {{ inline_cte() }} (
    {%- for part in non_ga4_event_models() %}
    select
        {{ columns | join(', ') }},
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as {{ dbt.type_string() }}) as batch_id
    from {{ ref(part) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

events as {{ inline_cte() }} (
    select * from ga4
    union all
    select * from others
),

keyed as {{ inline_cte() }} (
    select
        {{ event_id('events.source_system', 'events.source_record_id', 'events.event_type') }}
            as event_id,
        events.*,
        lower(events.source) as source_key,
        lower(events.medium) as medium_key
    from events
    inner join {{ ref('event_types') }} as event_types
        on events.event_type = event_types.event_type
),

combinations as (
    -- the channel rules see only these five values: classify each combination once
    select distinct click_id_type, source_key, medium_key, campaign_type, event_type
    from keyed
),

rules as (
    select * from {{ ref('channel_mapping') }}
),

classified as (
    select
        combinations.*,
        rules.channel
    from combinations
    inner join rules
        on (rules.click_id_type is null or rules.click_id_type = combinations.click_id_type)
        and (
            rules.source_regex is null
            or {{ regex_full_match("coalesce(combinations.source_key, '')", 'rules.source_regex') }}
        )
        and (
            rules.medium_regex is null
            or {{ regex_full_match("coalesce(combinations.medium_key, '')", 'rules.medium_regex') }}
        )
        and (rules.campaign_type is null or rules.campaign_type = combinations.campaign_type)
        and (rules.event_type is null or rules.event_type = combinations.event_type)
    qualify row_number() over (
        partition by combinations.click_id_type, combinations.source_key,
            combinations.medium_key, combinations.campaign_type, combinations.event_type
        order by rules.rule_priority
    ) = 1
)

select
    keyed.event_id,
    case when keyed.source_system = 'ga4' then keyed.anonymous_id end as refresh_key,
    keyed.occurred_at,
    keyed.source_timezone,
    keyed.event_type,
    keyed.anonymous_id,
    keyed.identity_source_system,
    keyed.identity_source_id,
    keyed.salesforce_account_id,
    classified.channel,
    keyed.source,
    keyed.medium,
    keyed.campaign,
    {{ utm_key('keyed.campaign') }} as campaign_key,
    keyed.campaign_id,
    keyed.campaign_type,
    keyed.click_id,
    keyed.click_id_type,
    keyed.page_location,
    keyed.is_pricing_page,
    keyed.is_comparison_page,
    keyed.owner_id,
    keyed.opportunity_type,
    keyed.source_system,
    keyed.source_record_id,
    keyed.event_properties,
    {{ event_rules_fingerprint() }} as rules_fingerprint,
    keyed.source_file,
    keyed.batch_id
from keyed
inner join classified
    on keyed.click_id_type is not distinct from classified.click_id_type
    and keyed.source_key is not distinct from classified.source_key
    and keyed.medium_key is not distinct from classified.medium_key
    and keyed.campaign_type is not distinct from classified.campaign_type
    and keyed.event_type = classified.event_type
