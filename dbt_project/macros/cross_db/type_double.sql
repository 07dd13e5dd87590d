{#- An 8-byte float. dbt's type_float() is the 4-byte REAL on DuckDB (7 significant
    digits: a JPY amount of 123,456,789 would come back as 123,456,792), so the revenue
    marts cast through this one. -#}
{% macro type_double() -%}
  {{ return(adapter.dispatch('type_double', 'revloop')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
  double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
  double
{%- endmacro %}

{% macro bigquery__type_double() -%}
  float64
{%- endmacro %}
