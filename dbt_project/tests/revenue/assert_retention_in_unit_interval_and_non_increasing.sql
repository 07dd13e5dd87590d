{#- Invariants of the retention marts: the Kaplan-Meier survival (mart_retention_curve)
    and the cohort logo retention (mart_cohort_retention) lie in [0, 1] and never
    increase with tenure / months since start; GRR lies in [0, 1]. A failing row means
    churn was counted twice, a censored customer was dropped from the risk set, or a
    come-back lifted a curve - predicted LTV would be wrong. -#}
with curve as (
    select
        'mart_retention_curve' as model,
        segment,
        cast(null as date) as cohort_month,
        tenure_days as step,
        survival as retention,
        lag(survival) over (partition by segment order by tenure_days) as previous_retention,
        cast(null as {{ type_double() }}) as gross_revenue_retention
    from {{ ref('mart_retention_curve') }}
),

cohorts as (
    select
        'mart_cohort_retention' as model,
        segment,
        cohort_month,
        months_since_start as step,
        logo_retention as retention,
        lag(logo_retention) over (
            partition by segment, cohort_month order by months_since_start
        ) as previous_retention,
        gross_revenue_retention
    from {{ ref('mart_cohort_retention') }}
),

checked as (
    select * from curve
    union all
    select * from cohorts
)

select *
from checked
where retention < 0 or retention > 1
   or retention > previous_retention + 1e-12
   or gross_revenue_retention < 0 or gross_revenue_retention > 1 + 1e-12
