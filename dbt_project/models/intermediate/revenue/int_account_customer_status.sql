{#- THE definition of "customer" (one row per account that ever won a deal); every model
    that needs it reads this one: dim_accounts.is_customer, fct_account_ltv, the CRM
    fields (dim_person_crm_fields -> "existing customer" on leads and contacts).
    An account is a customer as of as_of when it is inside an active customer spell
    (int_customer_spells): it has won a deal (any type) closed by as_of, and it has not
    churned since - no Renewal closed lost after its last won deal, and its last paid
    term (var subscription_term_days) has not ended more than var renewal_grace_days
    before as_of. Salesforce Account.Type is not used: it is typed by hand, lags the deals
    and cannot be replayed as of a past date. An account that never won is no customer
    (it has no row here). -#}
{%- set as_of = as_of() -%}
with spells as (
    select * from {{ ref('int_customer_spells') }}
),

latest as (
    select
        *,
        row_number() over (partition by account_id order by spell_number desc) as recency,
        min(started_at) over (partition by account_id) as customer_since_at,
        count(*) over (partition by account_id) as spell_count
    from spells
),

as_of_snapshot as (
    select account_id, arr, revenue_to_date
    from {{ ref('int_account_arr_snapshots') }}
    where snapshot_at = {{ as_of }}
)

select
    latest.account_id,
    latest.is_active as is_customer,
    case when latest.is_active then 'customer' else 'churned' end as customer_status,
    latest.customer_since_at,
    latest.started_at as current_spell_started_at,
    latest.coverage_ends_at as term_ends_at,
    latest.churned_at,
    latest.churn_type,
    latest.tenure_days,
    cast(latest.spell_count as integer) as spell_count,
    coalesce(as_of_snapshot.arr, 0) as current_arr,
    coalesce(as_of_snapshot.revenue_to_date, 0) as revenue_to_date
from latest
left join as_of_snapshot on latest.account_id = as_of_snapshot.account_id
where latest.recency = 1
