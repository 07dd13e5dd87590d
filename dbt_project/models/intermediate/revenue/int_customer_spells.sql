{#- One row per customer spell of an account: an unbroken run of paid subscription terms,
    as known at as_of. The building block of the one definition of "customer"
    (int_account_customer_status) and of the retention curves.
    - Every won opportunity (any type) closed by as_of pays for a term of
      var subscription_term_days from its close. A won deal that closes no later than
      var renewal_grace_days after the coverage so far ended continues the spell; a later
      one starts a new spell (the account came back).
    - A spell ends (churned_at) at the first of: a Renewal opportunity closed lost after
      the spell's last won deal (the customer said no: churn_type lost_renewal), or the end
      of its last term once the grace period has passed by as_of without a new won deal
      (churn_type lapsed). A spell without either is active: the account is a customer.
    - tenure_days: calendar days from the spell's first won deal to churned_at, or to
      as_of for an active spell (then censored in the Kaplan-Meier curve). -#}
{%- set as_of = as_of() -%}
{%- set term_days = var('subscription_term_days', 365) -%}
{%- set grace_days = var('renewal_grace_days', 60) -%}
with opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
    where account_id is not null
      and is_closed
      and closed_at <= {{ as_of }}
),

won as (
    select
        account_id,
        opportunity_id,
        closed_at,
        {{ dbt.dateadd('day', term_days, 'closed_at') }} as term_ends_at
    from opportunities
    where is_won
),

chained as (
    select
        *,
        max(term_ends_at) over (
            partition by account_id order by closed_at, opportunity_id
            rows between unbounded preceding and 1 preceding
        ) as previous_coverage_ends_at
    from won
),

numbered as (
    select
        *,
        sum(
            case
                when previous_coverage_ends_at is null
                    or closed_at > {{ dbt.dateadd('day', grace_days, 'previous_coverage_ends_at') }}
                    then 1
                else 0
            end
        ) over (
            partition by account_id order by closed_at, opportunity_id
            rows between unbounded preceding and current row
        ) as spell_number
    from chained
),

spells as (
    select
        account_id,
        spell_number,
        min(closed_at) as started_at,
        max(closed_at) as last_won_at,
        max(term_ends_at) as coverage_ends_at,
        count(*) as won_deals
    from numbered
    group by account_id, spell_number
),

bounded as (
    select
        *,
        lead(started_at) over (partition by account_id order by spell_number) as next_started_at
    from spells
),

lost_renewals as (
    select
        bounded.account_id,
        bounded.spell_number,
        min(opportunities.closed_at) as lost_renewal_at
    from bounded
    inner join opportunities
        on bounded.account_id = opportunities.account_id
        and opportunities.opportunity_type = 'Renewal'
        and not opportunities.is_won
        and opportunities.closed_at > bounded.last_won_at
        and (bounded.next_started_at is null or opportunities.closed_at < bounded.next_started_at)
    group by bounded.account_id, bounded.spell_number
),

ended as (
    select
        bounded.*,
        lost_renewals.lost_renewal_at,
        case
            when {{ dbt.dateadd('day', grace_days, 'bounded.coverage_ends_at') }} <= {{ as_of }}
                then bounded.coverage_ends_at
        end as lapsed_at
    from bounded
    left join lost_renewals
        on bounded.account_id = lost_renewals.account_id
        and bounded.spell_number = lost_renewals.spell_number
),

final as (
    select
        *,
        case
            when lost_renewal_at is not null and (lapsed_at is null or lost_renewal_at <= lapsed_at)
                then lost_renewal_at
            else lapsed_at
        end as churned_at
    from ended
)

select
    account_id,
    cast(spell_number as integer) as spell_number,
    started_at,
    last_won_at,
    coverage_ends_at,
    cast(won_deals as integer) as won_deals,
    churned_at,
    case
        when churned_at is null then null
        when churned_at = lost_renewal_at then 'lost_renewal'
        else 'lapsed'
    end as churn_type,
    churned_at is null as is_active,
    {{ dbt.datediff('started_at', 'coalesce(churned_at, ' ~ as_of ~ ')', 'day') }} as tenure_days
from final
