{#- Fail the statement (and so the model) with `message` when `condition` is false: a
    model that must not publish wrong numbers stops loudly instead. Returns a boolean SQL
    expression that is true when the condition holds; use it where its value is needed
    (e.g. `where {{ assert_true(...) }}`), so no optimiser can drop it. -#}
{% macro assert_true(condition, message) -%}
    {{ return(adapter.dispatch('assert_true', 'revloop')(condition, message)) }}
{%- endmacro %}
{% macro default__assert_true(condition, message) -%}
    {#- no error() function in most warehouses: an impossible cast fails with the message -#}
    (case when {{ condition }} then true else cast('{{ message }}' as integer) = 0 end)
{%- endmacro %}
{% macro duckdb__assert_true(condition, message) -%}
    (case when {{ condition }} then true else error('{{ message }}') end)
{%- endmacro %}
