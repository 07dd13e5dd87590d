{#- Jaro-Winkler similarity of two strings, 0..1 (1 = equal), dispatched. -#}
{% macro name_similarity(left, right) -%}
    {{ return(adapter.dispatch('name_similarity', 'revloop')(left, right)) }}
{%- endmacro %}
{% macro default__name_similarity(left, right) -%}
    jarowinkler_similarity({{ left }}, {{ right }}) / 100.0
{%- endmacro %}
{% macro duckdb__name_similarity(left, right) -%}
    jaro_winkler_similarity({{ left }}, {{ right }})
{%- endmacro %}
