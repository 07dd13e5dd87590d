{#- Invariant of mart_funnel: a cohort never grows down the funnel. For every row,
    converted <= entered (cohort bases); and within one funnel_cohort (funnel, dimension
    value, cohort month) the records that converted out of a stage are exactly the ones
    that entered the next. A failing row means the back-fill of stage times broke (a later
    stage reached before an earlier one) or the window is applied inconsistently; the
    funnel numbers would then overstate some conversion. -#}
with funnel as (
    select * from {{ ref('mart_funnel') }}
),

chained as (
    select
        *,
        lead(entered) over (
            partition by funnel, basis, dimension, dimension_value, cohort_month
            order by stage_order
        ) as next_entered
    from funnel
)

select *
from chained
where (basis <> 'period' and converted > entered)
   or (basis = 'funnel_cohort' and next_entered is not null and next_entered <> converted)
   or skipped_to_stage > converted
   or skipped_from_stage > entered
