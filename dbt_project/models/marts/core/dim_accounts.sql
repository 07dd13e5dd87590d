{#- One row per resolved company. Attributes come from the best record of the company
    (int_account_attributes: a Salesforce account over a Salesforce lead over a Marketo lead,
    then the most recently created; missing attributes filled from the next records).
    is_customer: the one definition of customer, int_account_customer_status (a won deal and
    no churn since, as of as_of). -#}
with accounts as (
    select * from {{ ref('int_account_attributes') }}
),

customers as (
    select account_id, is_customer from {{ ref('int_account_customer_status') }}
)

select
    accounts.account_id,
    accounts.account_name,
    accounts.domain,
    accounts.corporate_number,
    accounts.phone,
    accounts.industry,
    cast(accounts.employee_count as bigint) as employee_count,
    cast(accounts.annual_revenue as double) as annual_revenue,
    accounts.country,
    accounts.owner_id,
    coalesce(customers.is_customer, false) as is_customer,
    accounts.primary_salesforce_account_id,
    cast(accounts.salesforce_account_count as bigint) as salesforce_account_count,
    cast(accounts.salesforce_lead_count as bigint) as salesforce_lead_count,
    cast(accounts.marketo_lead_count as bigint) as marketo_lead_count,
    accounts.first_seen_at
from accounts
left join customers on accounts.account_id = customers.account_id
