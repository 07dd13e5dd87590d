{#- The event log's key: md5 of source_system | source_record_id | event_type, so the same
    source row always gives the same event_id (one source row may give several events of
    different types, e.g. a campaign member's registration and attendance). -#}
{% macro event_id(source_system, source_record_id, event_type) -%}
    {{ dbt.hash(dbt.concat([source_system, "'|'", source_record_id, "'|'", event_type])) }}
{%- endmacro %}
