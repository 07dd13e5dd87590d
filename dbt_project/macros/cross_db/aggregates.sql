{#- Aggregates dbt's cross-database macros do not cover, dispatched.
    min_by / max_by: the value at the row with the smallest / largest key (ties: any);
    median: the 50th percentile (continuous). -#}
{% macro min_by(value, key) -%}
    {{ return(adapter.dispatch('min_by', 'revloop')(value, key)) }}
{%- endmacro %}
{% macro default__min_by(value, key) -%}
    min_by({{ value }}, {{ key }})
{%- endmacro %}
{% macro duckdb__min_by(value, key) -%}
    arg_min({{ value }}, {{ key }})
{%- endmacro %}

{% macro max_by(value, key) -%}
    {{ return(adapter.dispatch('max_by', 'revloop')(value, key)) }}
{%- endmacro %}
{% macro default__max_by(value, key) -%}
    max_by({{ value }}, {{ key }})
{%- endmacro %}
{% macro duckdb__max_by(value, key) -%}
    arg_max({{ value }}, {{ key }})
{%- endmacro %}

{% macro median(value) -%}
    {{ return(adapter.dispatch('median', 'revloop')(value)) }}
{%- endmacro %}
{% macro default__median(value) -%}
    percentile_cont(0.5) within group (order by {{ value }})
{%- endmacro %}
{% macro duckdb__median(value) -%}
    median({{ value }})
{%- endmacro %}
