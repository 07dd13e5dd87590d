{#- The columns every source's event model (int_events__<source>) has, in one shape: what the
    event base (int_events_base) reads from each of them. -#}
{% macro unified_event_columns() -%}
    {{ return([
        'source_system', 'source_record_id', 'event_type', 'occurred_at', 'source_timezone',
        'identity_source_system', 'identity_source_id', 'anonymous_id', 'salesforce_account_id',
        'source', 'medium', 'campaign', 'campaign_id', 'campaign_type', 'click_id', 'click_id_type',
        'page_location', 'is_pricing_page', 'is_comparison_page', 'owner_id', 'opportunity_type',
        'event_properties',
    ]) }}
{%- endmacro %}

{#- The event models of the sources other than GA4, whose events the event base recomputes
    whole every build (GA4's, the bulk, it recomputes per changed cookie). -#}
{% macro non_ga4_event_models() -%}
    {{ return([
        'int_events__marketo',
        'int_events__salesforce_activities',
        'int_events__salesforce_lifecycle',
        'int_events__salesforce_campaign_members',
        'int_events__opportunities',
    ]) }}
{%- endmacro %}
