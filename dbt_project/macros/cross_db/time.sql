{#- Timestamps as numbers and sortable text, dispatched.
    epoch_seconds: seconds since 1970-01-01 UTC, fractional (microseconds kept), so decay
    and response times are exact; timestamp_key: 'YYYYMMDDHHMMSS' in UTC, text that sorts
    like the instant (used in survivorship keys). -#}
{% macro epoch_seconds(ts) -%}
    {{ return(adapter.dispatch('epoch_seconds', 'revloop')(ts)) }}
{%- endmacro %}
{% macro default__epoch_seconds(ts) -%}
    extract(epoch from {{ ts }})
{%- endmacro %}
{% macro duckdb__epoch_seconds(ts) -%}
    epoch({{ ts }})
{%- endmacro %}

{% macro timestamp_key(ts) -%}
    {{ return(adapter.dispatch('timestamp_key', 'revloop')(ts)) }}
{%- endmacro %}
{% macro default__timestamp_key(ts) -%}
    to_char({{ ts }}, 'YYYYMMDDHH24MISS')
{%- endmacro %}
{% macro duckdb__timestamp_key(ts) -%}
    strftime({{ ts }}, '%Y%m%d%H%M%S')
{%- endmacro %}

{#- Microseconds since 1970-01-01 UTC as a whole number: an exact numeric order key for
    RANGE window frames (no floating-point edge at a frame's bound). -#}
{% macro epoch_microseconds(ts) -%}
    {{ return(adapter.dispatch('epoch_microseconds', 'revloop')(ts)) }}
{%- endmacro %}
{% macro default__epoch_microseconds(ts) -%}
    cast(extract(epoch from {{ ts }}) * 1000000 as bigint)
{%- endmacro %}
{% macro duckdb__epoch_microseconds(ts) -%}
    epoch_us({{ ts }})
{%- endmacro %}

{#- type_timestamptz() and type_double() live in type_timestamptz.sql and type_double.sql. -#}
