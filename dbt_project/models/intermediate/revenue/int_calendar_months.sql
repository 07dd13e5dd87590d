{#- One row per calendar month (UTC) from 50 years before the as-of month up to the as-of
    month: the spine of every monthly revenue mart, which filters it to its own data
    range. snapshot_at is the instant a month is measured at: the start of the next month,
    or as_of for the month still running (is_complete_month false). -#}
{%- set as_of = as_of() -%}
{%- set as_of_month = dbt.date_trunc('month', as_of) -%}
with series as (
    {{ dbt.generate_series(600) }}
),

months as (
    select {{ dbt.dateadd('month', '1 - generated_number', as_of_month) }} as month_start
    from series
)

select
    cast(month_start as date) as month,
    month_start,
    {{ dbt.dateadd('month', 1, 'month_start') }} as next_month_start,
    least({{ dbt.dateadd('month', 1, 'month_start') }}, {{ as_of }}) as snapshot_at,
    {{ dbt.dateadd('month', 1, 'month_start') }} <= {{ as_of }} as is_complete_month
from months
