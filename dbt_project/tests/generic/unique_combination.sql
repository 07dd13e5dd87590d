{#- Generic test: the combination of `columns` identifies a row (the grain of a mart with
    a compound key). Fails with one row per duplicated key. -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as duplicates
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
