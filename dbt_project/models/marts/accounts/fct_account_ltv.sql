{#- One row per resolved account: historical and predicted lifetime value, churn risk.
    - acquisition_channel: channel of the earliest marketing touch (seed event_types
      is_marketing_touch) of any of the account's people; null when none is known.
    - revenue_to_date: sum of won opportunity amounts (JPY, every type) closed by as_of.
    - annual_revenue: won amounts (JPY) closed in the 365 days up to as_of (the account's
      current annual recurring revenue, ARPA for a subscription).
    - predicted_ltv: annual_revenue x var gross_margin (default 0.8) / observed annual churn
      rate, where churn rate = renewal opportunities closed lost / renewal opportunities
      closed, over all accounts. Null when the account has no annual revenue or when no
      renewal has closed yet (churn rate undefined); a churn rate of 0 is also undefined.
    - churn_risk (customers only, else null): high = the latest closed renewal was lost,
      or no engagement event (marketing or sales touch) in the 180 days up to as_of;
      medium = none in the last 90 days; low = otherwise. -#}
{%- set as_of = as_of() -%}
with accounts as (
    select distinct account_id
    from {{ ref('int_account_identities') }}
    where account_id is not null
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where account_id is not null
),

events as (
    select events.account_id, events.occurred_at, events.channel, events.event_id,
           event_types.is_marketing_touch, event_types.is_sales_touch
    from {{ ref('fct_events') }} as events
    inner join {{ ref('event_types') }} as event_types on events.event_type = event_types.event_type
    where events.account_id is not null
      and events.occurred_at <= {{ as_of }}
),

acquisition as (
    select account_id, arg_min(channel, (occurred_at, event_id)) as acquisition_channel
    from events
    where is_marketing_touch
    group by account_id
),

engagement as (
    select account_id, max(occurred_at) as last_engaged_at
    from events
    where is_marketing_touch or is_sales_touch
    group by account_id
),

revenue as (
    select
        account_id,
        sum(amount) filter (where is_won and closed_at <= {{ as_of }}) as revenue_to_date,
        sum(amount) filter (
            where is_won and closed_at <= {{ as_of }} and closed_at > {{ as_of }} - interval 365 day
        ) as annual_revenue,
        arg_max(is_won, closed_at) filter (
            where opportunity_type = 'Renewal' and is_closed and closed_at <= {{ as_of }}
        ) as latest_renewal_won
    from opportunities
    group by account_id
),

churn as (
    select
        count(*) filter (where not is_won) / nullif(count(*), 0) as churn_rate
    from opportunities
    where opportunity_type = 'Renewal' and is_closed and closed_at <= {{ as_of }}
)

select
    accounts.account_id,
    acquisition.acquisition_channel,
    coalesce(revenue.revenue_to_date, 0) as revenue_to_date,
    coalesce(revenue.annual_revenue, 0) as annual_revenue,
    coalesce(revenue.revenue_to_date, 0) > 0 as is_customer,
    (select churn_rate from churn) as observed_churn_rate,
    case
        when coalesce(revenue.annual_revenue, 0) > 0 and (select churn_rate from churn) > 0
            then round(revenue.annual_revenue * {{ var('gross_margin', 0.8) }}
                       / (select churn_rate from churn), 0)
    end as predicted_ltv,
    case
        when coalesce(revenue.revenue_to_date, 0) = 0 then null
        when revenue.latest_renewal_won = false then 'high'
        when engagement.last_engaged_at is null
            or engagement.last_engaged_at <= {{ as_of }} - interval 180 day then 'high'
        when engagement.last_engaged_at <= {{ as_of }} - interval 90 day then 'medium'
        else 'low'
    end as churn_risk,
    engagement.last_engaged_at
from accounts
left join acquisition on accounts.account_id = acquisition.account_id
left join engagement on accounts.account_id = engagement.account_id
left join revenue on accounts.account_id = revenue.account_id
