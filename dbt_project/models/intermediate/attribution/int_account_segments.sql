{#- The segment of every resolved account: the seed account_segments band its
    employee_count falls in (min_employees <= n, and n <= max_employees when that is set);
    `unknown` when the count is missing. fct_opportunities carries no segment yet, so
    attribution computes it here from int_account_attributes. -#}
with accounts as (
    select account_id, employee_count from {{ ref('int_account_attributes') }}
),

bands as (
    select * from {{ ref('account_segments') }}
)

select
    accounts.account_id,
    accounts.employee_count,
    coalesce(bands.segment, 'unknown') as segment
from accounts
left join bands
    on accounts.employee_count >= bands.min_employees
    and (bands.max_employees is null or accounts.employee_count <= bands.max_employees)
