{{ config(materialized='view') }}
{#- Every source's events in one shape, before identity, channel and de-duplication are
    attached (a view: int_event_duplicates and int_events_resolved read it once each). -#}
{%- set parts = [
    'int_events__ga4',
    'int_events__marketo',
    'int_events__salesforce_activities',
    'int_events__salesforce_lifecycle',
    'int_events__salesforce_campaign_members',
    'int_events__opportunities',
] -%}
{%- set columns = [
    'source_system', 'source_record_id', 'event_type', 'occurred_at', 'source_timezone',
    'identity_source_system', 'identity_source_id', 'anonymous_id', 'salesforce_account_id',
    'source', 'medium', 'campaign', 'campaign_id', 'campaign_type', 'click_id', 'click_id_type',
    'page_location', 'is_pricing_page', 'is_comparison_page', 'owner_id', 'opportunity_type',
    'event_properties',
] -%}
{% for part in parts %}
select {{ columns | join(', ') }} from {{ ref(part) }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
