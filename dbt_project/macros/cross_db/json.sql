{#- A JSON object from (key, SQL expression) pairs, dispatched:
    {{ json_object({'form_name': 'form_name', 'session_id': 'session_id'}) }}.
    Keys are literal; values are SQL. -#}
{% macro json_object(pairs) -%}
    {{ return(adapter.dispatch('json_object', 'revloop')(pairs)) }}
{%- endmacro %}
{% macro default__json_object(pairs) -%}
    json_build_object(
    {%- for key, value in pairs.items() %}'{{ key }}', {{ value }}{% if not loop.last %}, {% endif %}{% endfor -%}
    )
{%- endmacro %}
{% macro duckdb__json_object(pairs) -%}
    json_object(
    {%- for key, value in pairs.items() %}'{{ key }}', {{ value }}{% if not loop.last %}, {% endif %}{% endfor -%}
    )
{%- endmacro %}
