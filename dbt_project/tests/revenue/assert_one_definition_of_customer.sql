{#- There is one definition of "customer" (int_account_customer_status): dim_accounts and
    fct_account_ltv must agree account by account. A failing row means a model started
    deciding on its own again, and the CRM's "existing customer" flag and the LTV marts
    would disagree. -#}
select dim.account_id, dim.is_customer as dim_is_customer, ltv.is_customer as ltv_is_customer
from {{ ref('dim_accounts') }} as dim
inner join {{ ref('fct_account_ltv') }} as ltv on dim.account_id = ltv.account_id
where dim.is_customer <> ltv.is_customer
