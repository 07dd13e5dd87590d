{#- A string that sorts events by time, then by event_id: the key of min_by / max_by where
    "the first / last event" must be one reproducible row on every engine (ties at the same
    instant broken by event_id). -#}
{% macro event_order_key(occurred_at, event_id) -%}
    {{ dbt.concat([
        "lpad(cast(" ~ epoch_microseconds(occurred_at) ~ " as " ~ dbt.type_string() ~ "), 20, '0')",
        event_id,
    ]) }}
{%- endmacro %}
