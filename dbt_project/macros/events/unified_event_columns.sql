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

{#- A scalar subquery: one hash of the definitions the event base applies when it stores a
    row (seed channel_mapping's rules, seed event_types' list of kept types). The base stores
    it on every row; an incremental build that finds rows classified under other definitions
    recomputes every row, so editing a seed needs no --full-refresh. -#}
{% macro event_rules_fingerprint() -%}
    (
        select {{ dbt.hash(dbt.listagg('definition', "'\n'", 'order by definition')) }}
        from (
            select {{ dbt.concat([
                "'rule|'",
                "cast(rule_priority as " ~ dbt.type_string() ~ ")", "'|'",
                "coalesce(click_id_type, '')", "'|'",
                "coalesce(source_regex, '')", "'|'",
                "coalesce(medium_regex, '')", "'|'",
                "coalesce(campaign_type, '')", "'|'",
                "coalesce(event_type, '')", "'|'",
                "coalesce(channel, '')",
            ]) }} as definition
            from {{ ref('channel_mapping') }}
            union all
            select {{ dbt.concat(["'event_type|'", 'event_type']) }} from {{ ref('event_types') }}
        ) as definitions
    )
{%- endmacro %}
