{#- Lifetime value and its cost by acquisition channel (fct_account_ltv's channel of an
    account's earliest marketing touch up to its first won deal), over every account that
    was ever a customer.
    - avg_lifetime_value: mean lifetime_value (gross margin so far + predicted_ltv).
    - spend: ad spend of the channel (JPY) over every month up to as_of; cac = spend /
      customers_acquired; ltv_to_cac = avg_lifetime_value / cac. Null for a channel
      without recorded spend (organic channels cost staff time the warehouse cannot see).
      A channel that spent and acquired nobody has a row too (0 customers, no CAC): the
      most expensive channel of all.
    Spend comes from marts.mart_attribution_by_channel (the ad platforms' spend by day,
    FX-converted, per channel and month): it repeats on every model and conversion-type row
    there, so one model (var attribution_crm_model) and conversion type (closed_won) are
    read, and max() takes the month's single value. -#}
{%- set as_of = as_of() -%}
with customers as (
    select
        coalesce(acquisition_channel, 'Unknown') as acquisition_channel,
        customer_status,
        revenue_to_date,
        current_arr,
        predicted_ltv,
        lifetime_value
    from {{ ref('fct_account_ltv') }}
    where customer_status in ('customer', 'churned')
),

channel_spend as (
    select channel, month, max(spend) as spend
    from {{ ref('mart_attribution_by_channel') }}
    where model = '{{ attribution_crm_model() }}'
      and conversion_type = 'closed_won'
      and month <= cast({{ as_of }} as date)
      and spend is not null
    group by channel, month
),

spend as (
    select
        channel,
        sum(spend) as spend,
        min(month) as spend_from_month,
        max(month) as spend_to_month
    from channel_spend
    group by channel
),

channels as (
    select
        acquisition_channel,
        count(*) as customers_acquired,
        sum(case when customer_status = 'customer' then 1 else 0 end) as active_customers,
        sum(case when customer_status = 'churned' then 1 else 0 end) as churned_customers,
        sum(revenue_to_date) as revenue_to_date,
        sum(current_arr) as current_arr,
        sum(predicted_ltv) as predicted_ltv,
        sum(lifetime_value) as lifetime_value,
        avg(lifetime_value) as avg_lifetime_value
    from customers
    group by acquisition_channel
)

select
    coalesce(channels.acquisition_channel, spend.channel) as acquisition_channel,
    cast(coalesce(channels.customers_acquired, 0) as integer) as customers_acquired,
    cast(coalesce(channels.active_customers, 0) as integer) as active_customers,
    cast(coalesce(channels.churned_customers, 0) as integer) as churned_customers,
    channels.revenue_to_date,
    channels.current_arr,
    channels.predicted_ltv,
    channels.lifetime_value,
    channels.avg_lifetime_value,
    spend.spend,
    spend.spend_from_month,
    spend.spend_to_month,
    spend.spend / nullif(channels.customers_acquired, 0) as cac,
    channels.avg_lifetime_value / nullif(spend.spend / channels.customers_acquired, 0)
        as ltv_to_cac
from channels
full outer join spend on channels.acquisition_channel = spend.channel
