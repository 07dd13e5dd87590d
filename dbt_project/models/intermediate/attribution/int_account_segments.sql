{#- The segment of every resolved account: the band of seed segments (the one definition,
    shared with the revenue marts) its employee_count falls in (min_employees <= n, and
    n <= max_employees when that is set); `Unknown` when the count is missing. Computed
    here from int_account_attributes so attribution never reads a mart. -#}
with accounts as (
    select account_id, employee_count from {{ ref('int_account_attributes') }}
),

bands as (
    select * from {{ ref('segments') }}
)

select
    accounts.account_id,
    accounts.employee_count,
    coalesce(bands.segment, 'Unknown') as segment
from accounts
left join bands
    on accounts.employee_count >= bands.min_employees
    and (bands.max_employees is null or accounts.employee_count <= bands.max_employees)
