{#- Generic test: every row satisfies `expression` (a boolean SQL expression over the
    model's columns); the failing rows are returned. -#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not coalesce({{ expression }}, false)
{% endtest %}
