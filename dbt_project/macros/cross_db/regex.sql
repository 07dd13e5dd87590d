{#- Regular expressions, dispatched: every engine has them under another name.
    regex_matches: the pattern matches somewhere in the value; regex_full_match: it matches
    the whole value; regex_extract: the text of capture group `group` (0 = whole match),
    '' when nothing matched; regex_replace_all: every match replaced. Patterns use the
    RE2 / POSIX-ERE subset (no look-arounds), which DuckDB, BigQuery, Snowflake and Spark
    all accept. -#}
{% macro regex_matches(value, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'revloop')(value, pattern)) }}
{%- endmacro %}
{% macro default__regex_matches(value, pattern) -%}
    regexp_like({{ value }}, {{ pattern }})
{%- endmacro %}
{% macro duckdb__regex_matches(value, pattern) -%}
    regexp_matches({{ value }}, {{ pattern }})
{%- endmacro %}

{% macro regex_full_match(value, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'revloop')(value, pattern)) }}
{%- endmacro %}
{% macro default__regex_full_match(value, pattern) -%}
    regexp_like({{ value }}, '^(?:' || {{ pattern }} || ')$')
{%- endmacro %}
{% macro duckdb__regex_full_match(value, pattern) -%}
    regexp_full_match({{ value }}, {{ pattern }})
{%- endmacro %}

{% macro regex_extract(value, pattern, group=0) -%}
    {{ return(adapter.dispatch('regex_extract', 'revloop')(value, pattern, group)) }}
{%- endmacro %}
{% macro default__regex_extract(value, pattern, group=0) -%}
    coalesce(regexp_substr({{ value }}, {{ pattern }}, 1, 1, 'e', {{ group }}), '')
{%- endmacro %}
{% macro duckdb__regex_extract(value, pattern, group=0) -%}
    regexp_extract({{ value }}, {{ pattern }}, {{ group }})
{%- endmacro %}

{% macro regex_replace_all(value, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'revloop')(value, pattern, replacement)) }}
{%- endmacro %}
{% macro default__regex_replace_all(value, pattern, replacement) -%}
    regexp_replace({{ value }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}
{% macro duckdb__regex_replace_all(value, pattern, replacement) -%}
    regexp_replace({{ value }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}
