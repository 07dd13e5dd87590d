{#- Cohort retention of customers by start month (the month of an account's first won
    deal), one row per segment (`All` and each segment of seed segments) x cohort month x
    months since start, measured at each month's snapshot (int_account_arr_snapshots).
    - customers: accounts of the cohort; retained_customers: still in their first
      customer spell (a churn is final here, so a come-back does not lift the curve).
      logo_retention = retained / customers: in [0, 1] and never increasing.
    - starting_arr: the cohort's ARR at the end of its start month (JPY).
    - arr: the cohort's ARR now (JPY, expansions and come-backs included);
      net_revenue_retention (NRR) = arr / starting_arr.
    - gross_revenue_retention (GRR) = sum over the cohort of min(ARR now, starting ARR) /
      starting_arr: churn and contraction only, never above 1. -#}
with snapshots as (
    select * from {{ ref('int_account_arr_snapshots') }}
),

first_spells as (
    select account_id, started_at, churned_at
    from {{ ref('int_customer_spells') }}
    where spell_number = 1
),

accounts as (
    select
        first_spells.account_id,
        cast({{ dbt.date_trunc('month', 'first_spells.started_at') }} as date) as cohort_month,
        first_spells.churned_at,
        coalesce(segments.segment, 'Unknown') as segment
    from first_spells
    left join {{ ref('int_account_segments') }} as segments
        on first_spells.account_id = segments.account_id
),

months as (
    select month, is_complete_month from {{ ref('int_calendar_months') }}
),

measured as (
    select
        accounts.account_id,
        accounts.segment,
        accounts.cohort_month,
        snapshots.month,
        {{ dbt.datediff('accounts.cohort_month', 'snapshots.month', 'month') }} as months_since_start,
        accounts.churned_at is null or accounts.churned_at > snapshots.snapshot_at as is_retained,
        snapshots.arr,
        first_value(snapshots.arr) over (
            partition by accounts.account_id order by snapshots.month
            rows between unbounded preceding and unbounded following
        ) as starting_arr
    from accounts
    inner join snapshots
        on accounts.account_id = snapshots.account_id
        and snapshots.month >= accounts.cohort_month
),

by_segment as (
    select 'All' as segment, cohort_month, month, months_since_start, is_retained, arr, starting_arr
    from measured
    union all
    select segment, cohort_month, month, months_since_start, is_retained, arr, starting_arr
    from measured
),

cohorts as (
    select
        segment,
        cohort_month,
        month,
        months_since_start,
        count(*) as customers,
        sum(case when is_retained then 1 else 0 end) as retained_customers,
        sum(starting_arr) as starting_arr,
        sum(arr) as arr,
        sum(case when arr < starting_arr then arr else starting_arr end) as gross_retained_arr
    from by_segment
    group by segment, cohort_month, month, months_since_start
)

select
    cohorts.segment,
    cohorts.cohort_month,
    cast(cohorts.months_since_start as integer) as months_since_start,
    cohorts.month,
    months.is_complete_month,
    cast(cohorts.customers as integer) as customers,
    cast(cohorts.retained_customers as integer) as retained_customers,
    cast(cohorts.retained_customers as {{ type_double() }}) / cohorts.customers
        as logo_retention,
    cohorts.starting_arr,
    cohorts.arr,
    cohorts.gross_retained_arr,
    cohorts.gross_retained_arr / nullif(cohorts.starting_arr, 0) as gross_revenue_retention,
    cohorts.arr / nullif(cohorts.starting_arr, 0) as net_revenue_retention
from cohorts
inner join months on cohorts.month = months.month
