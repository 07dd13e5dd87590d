{#- The median of an expression as an aggregate (nulls ignored). dbt has no cross-database
    median; the SQL standard spells it as an ordered-set aggregate, DuckDB also has median().
    Used by mart_funnel (median days between stages). -#}
{% macro median(expression) -%}
  {{ return(adapter.dispatch('median', 'revloop')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
  percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median(expression) -%}
  median({{ expression }})
{%- endmacro %}
