{#- One row per Salesforce opportunity with what every revenue model needs: the resolved
    account, the amount in JPY, the revloop opportunity type, and the stage facts of its
    history (int_opportunity_stage_visits).
    - amount: Amount x seed fx_rates rate of the currency (JPY when missing) valid on the
      close date (created date while no close date is known), rounded to the yen.
    - closed_at: when the current closed stage was entered according to the history (a
      deal reopened and closed again counts from its last close), else CloseDate at
      midnight UTC; null while open. sales_cycle_days: calendar days created -> closed.
    - opportunity_type: Type mapped by seed opportunity_types; a missing or unlisted Type
      is New Business when the account had no won deal closed before this one was
      created, else Expansion.
    - qualified_at: first entry into a stage flagged is_qualified in seed
      opportunity_stages (reaching Closed Won counts). -#}
with opportunities as (
    select * from {{ ref('stg_salesforce__opportunities') }}
),

visits as (
    select * from {{ ref('int_opportunity_stage_visits') }}
),

account_identities as (
    select source_id, account_id
    from {{ ref('int_account_identities') }}
    where source_system = 'salesforce_account'
),

fx as (
    select * from {{ ref('fx_rates') }}
),

types as (
    select * from {{ ref('opportunity_types') }}
),

stage_facts as (
    select
        opportunity_id,
        min(case when is_qualified_stage then entered_at end) as qualified_at,
        max(case when is_current_visit then entered_at end) as current_stage_entered_at,
        max(case when is_current_visit and is_closed_stage then entered_at end)
            as history_closed_at,
        max(case when is_current_visit then days_in_stage end) as days_in_current_stage,
        max(case when is_current_visit then stalled_after_days end) as stalled_after_days,
        count(*) as stage_visit_count,
        sum(case when is_regression then 1 else 0 end) as regression_count,
        {{ dbt.bool_or('is_from_history') }} as has_stage_history
    from visits
    group by opportunity_id
),

closed as (
    select
        opportunities.*,
        coalesce(opportunities.currency_iso_code, 'JPY') as currency,
        case
            when opportunities.is_closed
                then coalesce(
                    stage_facts.history_closed_at,
                    cast(opportunities.close_date as {{ type_timestamptz() }})
                )
        end as closed_at,
        account_identities.account_id as resolved_account_id,
        types.opportunity_type as mapped_type
    from opportunities
    left join stage_facts on opportunities.opportunity_id = stage_facts.opportunity_id
    left join account_identities on opportunities.account_id = account_identities.source_id
    left join types on opportunities.opportunity_type = types.source_type
),

earlier_wins as (
    select distinct later.opportunity_id
    from closed as later
    inner join closed as won
        on later.resolved_account_id = won.resolved_account_id
        and won.is_won
        and won.closed_at < later.created_at
    where later.mapped_type is null
)

select
    closed.opportunity_id,
    closed.resolved_account_id as account_id,
    closed.account_id as salesforce_account_id,
    closed.opportunity_name,
    closed.created_at,
    closed.closed_at,
    closed.close_date,
    round(closed.amount * fx.rate_to_jpy, 0) as amount,
    closed.amount as amount_original,
    closed.currency,
    fx.rate_to_jpy,
    closed.is_closed,
    closed.is_won,
    case
        when closed.is_closed then {{ dbt.datediff('closed.created_at', 'closed.closed_at', 'day') }}
    end as sales_cycle_days,
    coalesce(
        closed.mapped_type,
        case when earlier_wins.opportunity_id is not null then 'Expansion' else 'New Business' end
    ) as opportunity_type,
    closed.opportunity_type as opportunity_type_raw,
    closed.stage_name,
    closed.probability,
    closed.owner_id,
    closed.lead_source,
    closed.campaign_id,
    stage_facts.qualified_at,
    stage_facts.current_stage_entered_at,
    stage_facts.days_in_current_stage,
    stage_facts.stalled_after_days,
    coalesce(stage_facts.stage_visit_count, 0) as stage_visit_count,
    coalesce(stage_facts.regression_count, 0) as regression_count,
    coalesce(stage_facts.has_stage_history, false) as has_stage_history
from closed
left join stage_facts on closed.opportunity_id = stage_facts.opportunity_id
left join earlier_wins on closed.opportunity_id = earlier_wins.opportunity_id
left join fx
    on closed.currency = fx.currency
    and coalesce(closed.close_date, cast(closed.created_at as date))
        between fx.valid_from and fx.valid_to
