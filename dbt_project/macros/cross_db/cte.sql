{#- inline_cte: the keyword that makes a CTE referenced twice be computed at each reference
    instead of stored once. DuckDB (1.1 and later) stores such a CTE by default; for a
    wide CTE over millions of rows that is a spill to disk, where computing it twice from a
    column store reads only the columns each reference needs. Engines without the keyword
    inline CTEs anyway.

    row_struct: one value holding the named columns (a struct), so one aggregate can carry
    a whole row's values or compare rows by several columns in order. -#}
{% macro inline_cte() -%}
    {{ return(adapter.dispatch('inline_cte', 'revloop')()) }}
{%- endmacro %}
{% macro default__inline_cte() -%}
{%- endmacro %}
{% macro duckdb__inline_cte() -%}
    not materialized
{%- endmacro %}

{% macro row_struct(columns) -%}
    {{ return(adapter.dispatch('row_struct', 'revloop')(columns)) }}
{%- endmacro %}
{% macro default__row_struct(columns) -%}
    named_struct({% for c in columns %}'{{ c }}', {{ c }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}
{% macro duckdb__row_struct(columns) -%}
    { {%- for c in columns %}'{{ c }}': {{ c }}{{ ', ' if not loop.last }}{% endfor -%} }
{%- endmacro %}
