{#- The type of a UTC instant (every *_at column of the marts). dbt's type_timestamp() is
    the zone-less timestamp on most adapters, so the marts' contracts need their own. -#}
{% macro type_timestamptz() -%}
  {{ return(adapter.dispatch('type_timestamptz', 'revloop')()) }}
{%- endmacro %}

{% macro default__type_timestamptz() -%}
  timestamp with time zone
{%- endmacro %}

{% macro snowflake__type_timestamptz() -%}
  timestamp_tz
{%- endmacro %}

{% macro bigquery__type_timestamptz() -%}
  timestamp
{%- endmacro %}
