{#- Elapsed time from `start` to `end` in days as a fraction (seconds / 86400), so that
    "days in stage" and "days between stages" do not jump at midnight the way a calendar
    day count (dbt.datediff(..., 'day')) does. Built on dbt's cross-database datediff. -#}
{% macro days_between(start, end) -%}
  ({{ dbt.datediff(start, end, 'second') }} / 86400.0)
{%- endmacro %}
