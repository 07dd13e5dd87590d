{#- Conversion between consecutive stages of two funnels, per month and dimension value.
    - funnel `lifecycle`: people through lead -> mql -> sal -> sql -> opportunity -> won
      (fct_lifecycle_stages, first-reached and back-filled); a stage is skipped when the
      person has no signal of its own for it (int_lifecycle_signals) and only got it by
      back-fill from a later stage.
    - funnel `opportunity`: deals through the stages of seed opportunity_stages
      (fct_opportunity_stages, back-filled the same way; skipped = never entered).
    Three bases (column basis), each row one month x from_stage -> to_stage:
    - stage_cohort: the records that reached from_stage in cohort_month; converted = of
      those, reached to_stage within var funnel_window_days days.
    - funnel_cohort: the records that entered the funnel (its first stage) in
      cohort_month; entered = of those, reached from_stage within the window from their
      funnel entry, converted = reached to_stage within it. So one cohort's counts never
      grow down the funnel, and converted of a transition = entered of the next.
    - period: entered = records that reached from_stage in the month, converted = records
      that reached to_stage in the month, whatever their cohort (a flow ratio that may
      exceed 1); median_days over the records that reached to_stage in the month.
    median_days: median elapsed days from_stage -> to_stage of the converted records.
    skipped_from_stage / skipped_to_stage: of entered / of converted, how many skipped that
    stage. Cohort rows are complete once the window has passed for the whole month
    (is_complete). Dimensions: all, channel (lifecycle: the person's first-touch channel;
    opportunity: attributed_channel), segment (seed segments of the account's employee
    count), owner (owner_id; the owner's name in dimension_label), team (the owner's
    Salesforce Department). Benchmarks (seed benchmarks with from/to stages) next to the
    rates. -#}
{%- set as_of = as_of() -%}
{%- set window_days = var('funnel_window_days', 180) -%}
{%- set lifecycle_stages = ['lead', 'mql', 'sal', 'sql', 'opportunity', 'won'] -%}
{%- set dimensions = {
    'all': ["'all'", "'all'"],
    'channel': ["coalesce(channel, 'Unknown')", "coalesce(channel, 'Unknown')"],
    'segment': ["segment", "segment"],
    'owner': ["coalesce(owner_id, 'Unknown')", "coalesce(owner_name, owner_id, 'Unknown')"],
    'team': ["team", "team"],
} -%}
with users as (
    select user_id, user_name, department from {{ ref('stg_salesforce__users') }}
),

accounts as (
    select account_id, segment from {{ ref('int_account_segments') }}
),

first_touches as (
    select person_id, channel
    from (
        select
            events.person_id,
            events.channel,
            row_number() over (
                partition by events.person_id order by events.occurred_at, events.event_id
            ) as touch_rank
        from {{ ref('fct_events') }} as events
        inner join {{ ref('event_types') }} as event_types
            on events.event_type = event_types.event_type
        where event_types.is_marketing_touch
          and events.person_id is not null
          and events.occurred_at <= {{ as_of }}
    ) as ranked
    where touch_rank = 1
),

people as (
    select
        people.person_id,
        first_touches.channel,
        coalesce(accounts.segment, 'Unknown') as segment,
        people.owner_id,
        users.user_name as owner_name,
        coalesce(users.department, 'Unknown') as team
    from {{ ref('dim_people') }} as people
    left join first_touches on people.person_id = first_touches.person_id
    left join accounts on people.account_id = accounts.account_id
    left join users on people.owner_id = users.user_id
),

own_signals as (
    select distinct person_id, stage
    from {{ ref('int_lifecycle_signals') }}
    where reached_at <= {{ as_of }}
),

lifecycle_reached as (
    {%- for stage in lifecycle_stages %}
    select
        stages.person_id as record_id,
        '{{ stage }}' as stage,
        {{ loop.index }} as stage_order,
        stages.{{ stage }}_at as reached_at
    from {{ ref('fct_lifecycle_stages') }} as stages
    where stages.{{ stage }}_at is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

reached as (
    select
        'lifecycle' as funnel,
        lifecycle_reached.record_id,
        lifecycle_reached.stage,
        lifecycle_reached.stage_order,
        lifecycle_reached.reached_at,
        own_signals.person_id is null as is_skipped,
        people.channel,
        people.segment,
        people.owner_id,
        people.owner_name,
        people.team
    from lifecycle_reached
    left join own_signals
        on lifecycle_reached.record_id = own_signals.person_id
        and lifecycle_reached.stage = own_signals.stage
    left join people on lifecycle_reached.record_id = people.person_id
    where lifecycle_reached.reached_at <= {{ as_of }}

    union all

    select
        'opportunity' as funnel,
        stages.opportunity_id,
        stages.stage_name,
        stages.stage_order,
        stages.reached_at,
        stages.is_skipped,
        opportunities.attributed_channel,
        opportunities.segment,
        opportunities.owner_id,
        opportunities.owner_name,
        opportunities.team
    from {{ ref('fct_opportunity_stages') }} as stages
    inner join {{ ref('fct_opportunities') }} as opportunities
        on stages.opportunity_id = opportunities.opportunity_id
    where stages.reached_at <= {{ as_of }}
),

funnel_stages as (
    {%- for stage in lifecycle_stages %}
    select 'lifecycle' as funnel, '{{ stage }}' as stage, {{ loop.index }} as stage_order
    union all
    {%- endfor %}
    select 'opportunity' as funnel, stage_name, stage_order
    from {{ ref('opportunity_stages') }}
    where stage_order is not null
),

transitions as (
    select *
    from (
        select
            funnel,
            stage as from_stage,
            stage_order,
            lead(stage) over (partition by funnel order by stage_order) as to_stage
        from funnel_stages
    ) as ordered
    where to_stage is not null
),

pairs as (
    select
        origin.funnel,
        origin.record_id,
        origin.channel,
        origin.segment,
        origin.owner_id,
        origin.owner_name,
        origin.team,
        transitions.from_stage,
        transitions.to_stage,
        transitions.stage_order,
        origin.reached_at as from_at,
        origin.is_skipped as is_from_skipped,
        target.reached_at as to_at,
        coalesce(target.is_skipped, false) as is_to_skipped,
        min(origin.reached_at) over (partition by origin.funnel, origin.record_id) as entry_at
    from reached as origin
    inner join transitions
        on origin.funnel = transitions.funnel and origin.stage = transitions.from_stage
    left join reached as target
        on origin.funnel = target.funnel
        and origin.record_id = target.record_id
        and target.stage = transitions.to_stage
),

measured as (
    select
        *,
        {{ days_between('from_at', 'to_at') }} as days_between_stages,
        {{ days_between('entry_at', 'from_at') }} as days_to_from,
        {{ days_between('entry_at', 'to_at') }} as days_to_to
    from pairs
),

by_dimension as (
    {%- for name, expressions in dimensions.items() %}
    select
        '{{ name }}' as dimension,
        {{ expressions[0] }} as dimension_value,
        {{ expressions[1] }} as dimension_label,
        funnel, from_stage, to_stage, stage_order, from_at, to_at, entry_at,
        is_from_skipped, is_to_skipped, days_between_stages, days_to_from, days_to_to
    from measured
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

stage_cohort as (
    select
        'stage_cohort' as basis,
        funnel, dimension, dimension_value, from_stage, to_stage,
        cast({{ dbt.date_trunc('month', 'from_at') }} as date) as cohort_month,
        count(*) as entered,
        sum(case when days_between_stages <= {{ window_days }} then 1 else 0 end) as converted,
        sum(case when is_from_skipped then 1 else 0 end) as skipped_from_stage,
        sum(case when days_between_stages <= {{ window_days }} and is_to_skipped then 1 else 0 end)
            as skipped_to_stage,
        {{ median('case when days_between_stages <= ' ~ window_days ~ ' then days_between_stages end') }}
            as median_days
    from by_dimension
    group by funnel, dimension, dimension_value, from_stage, to_stage, cohort_month
),

funnel_cohort as (
    select
        'funnel_cohort' as basis,
        funnel, dimension, dimension_value, from_stage, to_stage,
        cast({{ dbt.date_trunc('month', 'entry_at') }} as date) as cohort_month,
        sum(case when days_to_from <= {{ window_days }} then 1 else 0 end) as entered,
        sum(case when days_to_to <= {{ window_days }} then 1 else 0 end) as converted,
        sum(case when days_to_from <= {{ window_days }} and is_from_skipped then 1 else 0 end)
            as skipped_from_stage,
        sum(case when days_to_to <= {{ window_days }} and is_to_skipped then 1 else 0 end)
            as skipped_to_stage,
        {{ median('case when days_to_to <= ' ~ window_days ~ ' then days_between_stages end') }}
            as median_days
    from by_dimension
    group by funnel, dimension, dimension_value, from_stage, to_stage, cohort_month
),

period_from as (
    select
        funnel, dimension, dimension_value, from_stage, to_stage,
        cast({{ dbt.date_trunc('month', 'from_at') }} as date) as cohort_month,
        count(*) as entered,
        sum(case when is_from_skipped then 1 else 0 end) as skipped_from_stage
    from by_dimension
    group by funnel, dimension, dimension_value, from_stage, to_stage, cohort_month
),

period_to as (
    select
        funnel, dimension, dimension_value, from_stage, to_stage,
        cast({{ dbt.date_trunc('month', 'to_at') }} as date) as cohort_month,
        count(*) as converted,
        sum(case when is_to_skipped then 1 else 0 end) as skipped_to_stage,
        {{ median('days_between_stages') }} as median_days
    from by_dimension
    where to_at is not null
    group by funnel, dimension, dimension_value, from_stage, to_stage, cohort_month
),

dimension_values as (
    select funnel, dimension, dimension_value, min(dimension_label) as dimension_label
    from by_dimension
    group by funnel, dimension, dimension_value
),

months as (
    select months.month, months.next_month_start, months.is_complete_month
    from {{ ref('int_calendar_months') }} as months
    where months.next_month_start > (select min(reached_at) from reached)
),

grid as (
    select
        bases.basis,
        dimension_values.funnel,
        dimension_values.dimension,
        dimension_values.dimension_value,
        dimension_values.dimension_label,
        transitions.from_stage,
        transitions.to_stage,
        transitions.stage_order,
        months.month as cohort_month,
        case
            when bases.basis = 'period' then months.is_complete_month
            else {{ dbt.dateadd('day', window_days, 'months.next_month_start') }} <= {{ as_of }}
        end as is_complete
    from dimension_values
    inner join transitions on dimension_values.funnel = transitions.funnel
    cross join months
    cross join (
        select 'stage_cohort' as basis
        union all select 'funnel_cohort'
        union all select 'period'
    ) as bases
),

cohorts as (
    select * from stage_cohort
    union all
    select * from funnel_cohort
),

benchmarks as (
    select from_stage, to_stage, benchmark_low, benchmark_high
    from {{ ref('benchmarks') }}
    where from_stage is not null and to_stage is not null
),

joined as (
    select
        grid.*,
        coalesce(cohorts.entered, period_from.entered, 0) as entered,
        coalesce(cohorts.converted, period_to.converted, 0) as converted,
        coalesce(cohorts.skipped_from_stage, period_from.skipped_from_stage, 0)
            as skipped_from_stage,
        coalesce(cohorts.skipped_to_stage, period_to.skipped_to_stage, 0) as skipped_to_stage,
        coalesce(cohorts.median_days, period_to.median_days) as median_days
    from grid
    left join cohorts
        on grid.basis = cohorts.basis
        and grid.funnel = cohorts.funnel
        and grid.dimension = cohorts.dimension
        and grid.dimension_value = cohorts.dimension_value
        and grid.from_stage = cohorts.from_stage
        and grid.cohort_month = cohorts.cohort_month
    left join period_from
        on grid.basis = 'period'
        and grid.funnel = period_from.funnel
        and grid.dimension = period_from.dimension
        and grid.dimension_value = period_from.dimension_value
        and grid.from_stage = period_from.from_stage
        and grid.cohort_month = period_from.cohort_month
    left join period_to
        on grid.basis = 'period'
        and grid.funnel = period_to.funnel
        and grid.dimension = period_to.dimension
        and grid.dimension_value = period_to.dimension_value
        and grid.from_stage = period_to.from_stage
        and grid.cohort_month = period_to.cohort_month
)

select
    joined.funnel,
    joined.basis,
    joined.dimension,
    joined.dimension_value,
    joined.dimension_label,
    joined.cohort_month,
    joined.from_stage,
    joined.to_stage,
    cast(joined.stage_order as integer) as stage_order,
    cast(joined.entered as {{ dbt.type_bigint() }}) as entered,
    cast(joined.converted as {{ dbt.type_bigint() }}) as converted,
    cast(joined.converted as {{ type_double() }}) / nullif(joined.entered, 0)
        as conversion_rate,
    joined.median_days,
    cast(joined.skipped_from_stage as {{ dbt.type_bigint() }}) as skipped_from_stage,
    cast(joined.skipped_to_stage as {{ dbt.type_bigint() }}) as skipped_to_stage,
    joined.is_complete,
    benchmarks.benchmark_low,
    benchmarks.benchmark_high
from joined
left join benchmarks
    on joined.funnel = 'lifecycle'
    and joined.from_stage = benchmarks.from_stage
    and joined.to_stage = benchmarks.to_stage
