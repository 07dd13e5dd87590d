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
