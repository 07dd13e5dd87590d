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

{#- row_hash: a 64-bit hash of one row's expressions (nulls hash too), for comparing a row
    with its stored self; set_fingerprint: one number for a SET of rows, whatever their
    order, the XOR of their row hashes. Equal hashes mean equal values but for a 2^-64
    chance; a set's rows must be distinct (two equal rows cancel), which a key among the
    expressions guarantees. Incremental models compare them with the ones they stored. -#}
{% macro row_hash(expressions) -%}
    {{ return(adapter.dispatch('row_hash', 'revloop')(expressions)) }}
{%- endmacro %}
{% macro default__row_hash(expressions) -%}
    xxhash64({{ expressions | join(', ') }})
{%- endmacro %}
{% macro duckdb__row_hash(expressions) -%}
    hash({{ expressions | join(', ') }})
{%- endmacro %}

{% macro set_fingerprint(expressions) -%}
    bit_xor({{ row_hash(expressions) }})
{%- endmacro %}
