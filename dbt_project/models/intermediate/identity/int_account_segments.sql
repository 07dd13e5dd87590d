{#- The segment of every resolved account, the one place the seed `segments` is applied:
    the band its employee count (as dim_accounts publishes it, a whole number) falls in
    (min_employees <= n, and n <= max_employees when that is set); `Unknown` when the count
    is missing. Attribution, the funnel, opportunities, LTV and retention all read this, so a
    change of the bands changes every page the same way. -#}
with accounts as (
    select account_id, cast(employee_count as bigint) as employee_count
    from {{ ref('int_account_attributes') }}
),

bands as (
    select * from {{ ref('segments') }}
)

select
    accounts.account_id,
    accounts.employee_count,
    coalesce(bands.employee_band, 'Unknown') as employee_band,
    coalesce(bands.segment, 'Unknown') as segment
from accounts
left join bands
    on accounts.employee_count >= bands.min_employees
    and (bands.max_employees is null or accounts.employee_count <= bands.max_employees)
