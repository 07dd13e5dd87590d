{#- Kaplan-Meier customer retention curve per segment (and `All`), one row per tenure
    (days since a customer spell's first won deal, int_customer_spells) at which a spell
    churned or was censored. Each spell is one subject: churned spells are events at
    their tenure, spells still active at as_of are censored there (they count as at risk
    up to and including their tenure, the usual convention, also lifelines').
    - at_risk: spells with tenure >= this tenure; churned / censored: spells ending here.
    - survival = product over tenures <= this one of (1 - churned / at_risk): the share of
      customers still retained after this many days (S(t) of the curve, a step function).
    - annual_churn_rate: the segment's trailing-twelve-month logo churn = spells churned
      in the 365 days up to as_of / spells active 365 days before as_of (the usual SaaS
      definition: annual whatever the renewal rhythm, and not biased by the young
      customers who have not reached a renewal yet). hazard_per_day = -ln(1 - annual
      churn) / 365, the constant hazard with that annual churn: fct_account_ltv extends
      the curve past its last tenure with it.
    - has_enough_events: at least var km_min_churn_events churns; a segment below that
      borrows the `All` curve for its predicted LTV. -#}
{%- set min_events = var('km_min_churn_events', 5) -%}
{%- set year_ago = dbt.dateadd('day', -365, as_of()) -%}
with accounts as (
    select account_id, segment from {{ ref('int_account_segments') }}
),

spells as (
    select
        coalesce(accounts.segment, 'Unknown') as segment,
        spells.tenure_days,
        case when spells.churned_at is not null then 1 else 0 end as churned,
        case
            when spells.started_at <= {{ year_ago }}
                and (spells.churned_at is null or spells.churned_at > {{ year_ago }}) then 1
            else 0
        end as was_active_year_ago
    from {{ ref('int_customer_spells') }} as spells
    left join accounts on spells.account_id = accounts.account_id
),

subjects as (
    select 'All' as segment, tenure_days, churned, was_active_year_ago from spells
    union all
    select segment, tenure_days, churned, was_active_year_ago from spells
),

tenures as (
    select
        segment,
        tenure_days,
        sum(churned) as churned,
        sum(1 - churned) as censored,
        count(*) as ending
    from subjects
    group by segment, tenure_days
),

at_risk as (
    select
        *,
        sum(ending) over (
            partition by segment order by tenure_days desc
            rows between unbounded preceding and current row
        ) as at_risk
    from tenures
),

factors as (
    select
        *,
        case when churned = at_risk then 1 else 0 end as is_wipeout,
        case when churned < at_risk then ln(1 - cast(churned as {{ type_double() }}) / at_risk) else 0 end
            as log_factor
    from at_risk
),

curve as (
    select
        *,
        case
            when sum(is_wipeout) over (
                partition by segment order by tenure_days
                rows between unbounded preceding and current row
            ) > 0 then 0.0
            else exp(sum(log_factor) over (
                partition by segment order by tenure_days
                rows between unbounded preceding and current row
            ))
        end as survival
    from factors
),

fits as (
    select
        segment,
        count(*) as customers,
        sum(churned) as churn_events,
        sum(was_active_year_ago) as customers_year_ago,
        sum(was_active_year_ago * churned) as churned_last_year
    from subjects
    group by segment
),

rates as (
    select
        *,
        cast(churned_last_year as {{ type_double() }}) / nullif(customers_year_ago, 0)
            as annual_churn_rate
    from fits
)

select
    curve.segment,
    cast(curve.tenure_days as integer) as tenure_days,
    cast(curve.at_risk as integer) as at_risk,
    cast(curve.churned as integer) as churned,
    cast(curve.censored as integer) as censored,
    cast(curve.survival as {{ type_double() }}) as survival,
    cast(rates.customers as integer) as segment_customers,
    cast(rates.churn_events as integer) as segment_churn_events,
    cast(rates.customers_year_ago as integer) as customers_year_ago,
    cast(rates.churned_last_year as integer) as churned_last_year,
    rates.annual_churn_rate,
    case
        when rates.annual_churn_rate < 1 then ln(1 / (1 - rates.annual_churn_rate)) / 365
    end as hazard_per_day,
    rates.churn_events >= {{ min_events }} as has_enough_events
from curve
inner join rates on curve.segment = rates.segment
