{#- Pipeline velocity per calendar month and dimension value, with the change against
    the previous month split into its four drivers. Opportunities: fct_opportunities of
    the types in var velocity_opportunity_types (default New Business and Expansion;
    renewals are measured by the cohort retention mart). Each month is measured at its
    snapshot_at (next month start; as_of for the running month).
    - open_opportunities: qualified (fct_opportunities.qualified_at) and not closed at
      the snapshot.
    - won_deals / lost_deals: qualified deals closed in the window = the last
      var velocity_window_months months up to and including this one.
    - avg_deal_size: mean JPY amount of the won deals of the window.
    - win_rate: won / (won + lost) of the window (win rate after qualification).
    - avg_cycle_days: mean sales_cycle_days of the won deals of the window.
    - velocity_per_day = open_opportunities x avg_deal_size x win_rate / avg_cycle_days
      (JPY of expected revenue per day), null when a driver is missing or the cycle is 0.
    - The change against the previous month, velocity_change = V1 - V0, is split with
      the logarithmic mean L = (V1 - V0) / (ln V1 - ln V0) (L = V1 when V1 = V0):
      contribution of a driver x = L x (ln x1 - ln x0), of the cycle = -L x (ln C1 - ln C0).
      Because ln V = ln N + ln S + ln W - ln C, the four contributions add up to the
      change exactly (the log-mean Divisia index). Null when either month has no
      velocity or a zero driver (a logarithm of 0 is undefined).
    Dimensions: all, channel (attributed_channel), segment, owner (owner_id; the name in
    dimension_label), team, opportunity_type. Months run from the first month with a
    created opportunity to the as-of month, for every value the dimension ever had. -#}
{%- set as_of = as_of() -%}
{%- set window_months = var('velocity_window_months', 3) -%}
{%- set types = var('velocity_opportunity_types', ['New Business', 'Expansion']) -%}
{%- set dimensions = {
    'all': "'all'",
    'channel': "coalesce(attributed_channel, 'Unknown')",
    'segment': 'segment',
    'owner': "coalesce(owner_id, 'Unknown')",
    'team': 'team',
    'opportunity_type': 'opportunity_type',
} -%}
with opportunities as (
    select *
    from {{ ref('fct_opportunities') }}
    where opportunity_type in ({% for t in types %}'{{ t }}'{% if not loop.last %}, {% endif %}{% endfor %})
      and created_at <= {{ as_of }}
),

months as (
    select months.*
    from {{ ref('int_calendar_months') }} as months
    where months.next_month_start > (select min(created_at) from opportunities)
),

by_dimension as (
    {%- for name, expression in dimensions.items() %}
    select
        '{{ name }}' as dimension,
        {{ expression }} as dimension_value,
        {% if name == 'owner' %}coalesce(owner_name, owner_id, 'Unknown'){% else %}{{ expression }}{% endif %}
            as dimension_label,
        opportunity_id,
        qualified_at,
        case when closed_at <= {{ as_of }} then closed_at end as closed_at,
        is_won,
        amount,
        sales_cycle_days
    from opportunities
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

dimension_values as (
    select dimension, dimension_value, min(dimension_label) as dimension_label
    from by_dimension
    group by dimension, dimension_value
),

grid as (
    select
        months.month,
        months.month_start,
        months.next_month_start,
        months.snapshot_at,
        months.is_complete_month,
        dimension_values.dimension,
        dimension_values.dimension_value,
        dimension_values.dimension_label
    from months
    cross join dimension_values
),

{#- Open qualified pipeline at a snapshot = qualified by then minus closed by then (after
    qualifying): flows per month, accumulated, so the cost is linear in the data. -#}
flows as (
    select
        dimension,
        dimension_value,
        cast({{ dbt.date_trunc('month', 'qualified_at') }} as date) as month,
        1 as qualified,
        0 as closed
    from by_dimension
    where qualified_at is not null and qualified_at <= {{ as_of }}

    union all

    select
        dimension,
        dimension_value,
        cast({{ dbt.date_trunc('month', 'case when closed_at < qualified_at then qualified_at else closed_at end') }} as date) as month,
        0 as qualified,
        1 as closed
    from by_dimension
    where qualified_at is not null and qualified_at <= {{ as_of }} and closed_at is not null
),

monthly_flows as (
    select dimension, dimension_value, month, sum(qualified) as qualified, sum(closed) as closed
    from flows
    group by dimension, dimension_value, month
),

closed_deals as (
    select
        dimension,
        dimension_value,
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as month,
        sum(case when is_won then 1 else 0 end) as won_deals,
        sum(case when not is_won then 1 else 0 end) as lost_deals,
        sum(case when is_won then amount end) as won_amount,
        sum(case when is_won and amount is not null then 1 else 0 end) as won_with_amount,
        sum(case when is_won then sales_cycle_days end) as won_cycle_days
    from by_dimension
    where qualified_at is not null and closed_at is not null
    group by dimension, dimension_value, month
),

accumulated as (
    select
        grid.*,
        sum(coalesce(monthly_flows.qualified, 0) - coalesce(monthly_flows.closed, 0)) over (
            partition by grid.dimension, grid.dimension_value order by grid.month
            rows between unbounded preceding and current row
        ) as open_opportunities,
        {%- for column in ['won_deals', 'lost_deals', 'won_amount', 'won_with_amount', 'won_cycle_days'] %}
        sum(coalesce(closed_deals.{{ column }}, 0)) over (
            partition by grid.dimension, grid.dimension_value order by grid.month
            rows between {{ window_months - 1 }} preceding and current row
        ) as window_{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from grid
    left join monthly_flows
        on grid.dimension = monthly_flows.dimension
        and grid.dimension_value = monthly_flows.dimension_value
        and grid.month = monthly_flows.month
    left join closed_deals
        on grid.dimension = closed_deals.dimension
        and grid.dimension_value = closed_deals.dimension_value
        and grid.month = closed_deals.month
),

drivers as (
    select
        *,
        cast(window_won_amount as {{ type_double() }}) / nullif(window_won_with_amount, 0)
            as avg_deal_size,
        cast(window_won_deals as {{ type_double() }})
            / nullif(window_won_deals + window_lost_deals, 0) as win_rate,
        cast(window_won_cycle_days as {{ type_double() }}) / nullif(window_won_deals, 0)
            as avg_cycle_days
    from accumulated
),

velocity as (
    select
        *,
        open_opportunities * avg_deal_size * win_rate / nullif(avg_cycle_days, 0)
            as velocity_per_day,
        open_opportunities > 0 and avg_deal_size > 0 and win_rate > 0 and avg_cycle_days > 0
            as is_decomposable
    from drivers
),

with_previous as (
    select
        *,
        lag(velocity_per_day) over (
            partition by dimension, dimension_value order by month
        ) as previous_velocity_per_day,
        lag(is_decomposable) over (partition by dimension, dimension_value order by month)
            as previous_is_decomposable,
        lag(open_opportunities) over (partition by dimension, dimension_value order by month)
            as previous_open_opportunities,
        lag(avg_deal_size) over (partition by dimension, dimension_value order by month)
            as previous_avg_deal_size,
        lag(win_rate) over (partition by dimension, dimension_value order by month)
            as previous_win_rate,
        lag(avg_cycle_days) over (partition by dimension, dimension_value order by month)
            as previous_avg_cycle_days
    from velocity
),

log_mean as (
    select
        *,
        case
            when is_decomposable and previous_is_decomposable then
                case
                    when velocity_per_day = previous_velocity_per_day then velocity_per_day
                    else (velocity_per_day - previous_velocity_per_day)
                        / (ln(velocity_per_day) - ln(previous_velocity_per_day))
                end
        end as log_mean_velocity
    from with_previous
),

benchmarks as (
    select
        max(case when metric = 'win_rate_after_qualification' then benchmark_low end)
            as benchmark_win_rate_low,
        max(case when metric = 'win_rate_after_qualification' then benchmark_high end)
            as benchmark_win_rate_high,
        max(case when metric = 'sales_cycle_days' then benchmark_low end)
            as benchmark_cycle_days_low,
        max(case when metric = 'sales_cycle_days' then benchmark_high end)
            as benchmark_cycle_days_high
    from {{ ref('benchmarks') }}
)

select
    log_mean.month,
    log_mean.dimension,
    log_mean.dimension_value,
    log_mean.dimension_label,
    log_mean.is_complete_month,
    cast(log_mean.open_opportunities as {{ dbt.type_bigint() }}) as open_opportunities,
    cast(log_mean.window_won_deals as {{ dbt.type_bigint() }}) as won_deals,
    cast(log_mean.window_lost_deals as {{ dbt.type_bigint() }}) as lost_deals,
    log_mean.avg_deal_size,
    log_mean.win_rate,
    log_mean.avg_cycle_days,
    log_mean.velocity_per_day,
    log_mean.previous_velocity_per_day,
    log_mean.velocity_per_day - log_mean.previous_velocity_per_day as velocity_change,
    {%- for column, driver, sign in [
        ('contribution_open_opportunities', 'open_opportunities', ''),
        ('contribution_avg_deal_size', 'avg_deal_size', ''),
        ('contribution_win_rate', 'win_rate', ''),
        ('contribution_cycle_days', 'avg_cycle_days', '-'),
    ] %}
    case
        when log_mean.log_mean_velocity is not null
            then {{ sign }}log_mean.log_mean_velocity
                * (ln(log_mean.{{ driver }}) - ln(log_mean.previous_{{ driver }}))
    end as {{ column }},
    {%- endfor %}
    benchmarks.benchmark_win_rate_low,
    benchmarks.benchmark_win_rate_high,
    benchmarks.benchmark_cycle_days_low,
    benchmarks.benchmark_cycle_days_high
from log_mean
cross join benchmarks
