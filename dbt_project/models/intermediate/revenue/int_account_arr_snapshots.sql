{#- One row per account that ever won a deal x calendar month, from the month of its
    first won deal to the as-of month: whether it was a customer then and its ARR, measured
    at the month's snapshot_at (int_calendar_months: the start of the next month, as_of for
    the running month). Feeds the current ARR (the as-of row) and the cohort retention mart.
    - is_customer: inside a customer spell (int_customer_spells) that had started and not
      churned at the snapshot.
    - arr (JPY): for a customer, the amounts of its won deals whose term covers the
      snapshot (a won deal pays for var subscription_term_days from its close: renewals
      replace the term, expansions add to it); a customer whose terms have all ended but
      who is still inside the renewal grace period keeps the amounts of its last term.
      0 for a non-customer.
    - revenue_to_date (JPY): every won deal closed by the snapshot. -#}
{%- set as_of = as_of() -%}
{%- set term_days = var('subscription_term_days', 365) -%}
with spells as (
    select * from {{ ref('int_customer_spells') }}
),

won as (
    select
        account_id,
        closed_at,
        amount,
        {{ dbt.dateadd('day', term_days, 'closed_at') }} as term_ends_at
    from {{ ref('int_opportunities_enriched') }}
    where account_id is not null and is_won and closed_at <= {{ as_of }}
),

months as (
    select * from {{ ref('int_calendar_months') }}
),

accounts as (
    select account_id, min(started_at) as first_won_at
    from spells
    group by account_id
),

snapshots as (
    select accounts.account_id, months.month, months.snapshot_at
    from accounts
    inner join months
        on months.next_month_start > accounts.first_won_at
),

alive as (
    select
        snapshots.account_id,
        snapshots.month,
        max(
            case
                when spells.started_at <= snapshots.snapshot_at
                    and (spells.churned_at is null or spells.churned_at > snapshots.snapshot_at)
                    then 1
                else 0
            end
        ) = 1 as is_customer
    from snapshots
    inner join spells on snapshots.account_id = spells.account_id
    group by snapshots.account_id, snapshots.month
),

deals as (
    select
        snapshots.account_id,
        snapshots.month,
        snapshots.snapshot_at,
        won.amount,
        won.term_ends_at,
        max(won.term_ends_at) over (
            partition by snapshots.account_id, snapshots.month
        ) as latest_term_ends_at
    from snapshots
    inner join won
        on snapshots.account_id = won.account_id
        and won.closed_at <= snapshots.snapshot_at
),

amounts as (
    select
        account_id,
        month,
        min(snapshot_at) as snapshot_at,
        coalesce(sum(case when term_ends_at > snapshot_at then amount end), 0) as covered_arr,
        coalesce(sum(case when term_ends_at = latest_term_ends_at then amount end), 0)
            as last_term_arr,
        coalesce(sum(amount), 0) as revenue_to_date
    from deals
    group by account_id, month
)

select
    amounts.account_id,
    amounts.month,
    amounts.snapshot_at,
    alive.is_customer,
    cast(
        case
            when not alive.is_customer then 0
            when amounts.covered_arr > 0 then amounts.covered_arr
            else amounts.last_term_arr
        end as {{ type_double() }}
    ) as arr,
    cast(amounts.revenue_to_date as {{ type_double() }}) as revenue_to_date
from amounts
inner join alive on amounts.account_id = alive.account_id and amounts.month = alive.month
