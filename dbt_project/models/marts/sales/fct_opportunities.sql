{#- One row per Salesforce opportunity, amounts in JPY. The FX rate is the seed fx_rates
    row of the opportunity's currency valid on its close date (created date when open);
    closed_at is when the history first showed a Closed stage, else CloseDate (midnight UTC).
    sales_cycle_days = whole days from created_at to closed_at, closed opportunities only. -#}
with opportunities as (
    select * from {{ ref('stg_salesforce__opportunities') }}
),

history as (
    select opportunity_id, min(created_at) as closed_at
    from {{ ref('stg_salesforce__opportunity_history') }}
    where regexp_matches(lower(stage_name), '^closed')
    group by opportunity_id
),

account_identities as (
    select source_id, account_id
    from {{ ref('int_account_identities') }}
    where source_system = 'salesforce_account'
),

fx as (
    select * from {{ ref('fx_rates') }}
),

enriched as (
    select
        opportunities.*,
        coalesce(opportunities.currency_iso_code, 'JPY') as currency,
        case
            when opportunities.is_closed
                then coalesce(history.closed_at, cast(opportunities.close_date as timestamptz))
        end as closed_at,
        account_identities.account_id as resolved_account_id
    from opportunities
    left join history on opportunities.opportunity_id = history.opportunity_id
    left join account_identities on opportunities.account_id = account_identities.source_id
)

select
    enriched.opportunity_id,
    enriched.resolved_account_id as account_id,
    enriched.account_id as salesforce_account_id,
    enriched.opportunity_name,
    enriched.created_at,
    enriched.closed_at,
    enriched.close_date,
    round(enriched.amount * fx.rate_to_jpy, 0) as amount,
    enriched.amount as amount_original,
    enriched.currency,
    fx.rate_to_jpy,
    enriched.is_closed,
    enriched.is_won,
    case
        when enriched.is_closed then date_diff('day', enriched.created_at, enriched.closed_at)
    end as sales_cycle_days,
    enriched.opportunity_type,
    enriched.stage_name,
    enriched.probability,
    enriched.owner_id,
    enriched.lead_source,
    enriched.campaign_id
from enriched
left join fx
    on enriched.currency = fx.currency
    and coalesce(enriched.close_date, cast(enriched.created_at as date))
        between fx.valid_from and fx.valid_to
