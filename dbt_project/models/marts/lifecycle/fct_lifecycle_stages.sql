{#- One row per person: the first time each lifecycle stage was reached.
    Back-fill: reaching a later stage means the earlier ones were passed, so a skipped or
    later-recorded stage takes the later stage's time: won -> opportunity -> sql -> sal ->
    mql -> lead, each stage_at = least(own first signal, next stage_at). This makes the
    timestamps monotone (lead <= mql <= sal <= sql <= opportunity <= won) by construction.
    Recycling: stage timestamps stay first-reached (history is not erased); a person is
    is_recycled when their latest recycle status change is later than every forward signal
    (mql, sal, sql, opportunity, won) and they have not won; current_stage then says
    'recycled'. A new MQL/SAL/SQL status or opportunity after it ends the recycling. -#}
with people as (
    select distinct person_id from {{ ref('bridge_person_identities') }}
),

signals as (
    select * from {{ ref('int_lifecycle_signals') }}
),

firsts as (
    select
        person_id,
        min(reached_at) filter (where stage = 'lead') as lead_raw_at,
        min(reached_at) filter (where stage = 'mql') as mql_raw_at,
        min(reached_at) filter (where stage = 'sal') as sal_raw_at,
        min(reached_at) filter (where stage = 'sql') as sql_raw_at,
        min(reached_at) filter (where stage = 'opportunity') as opportunity_raw_at,
        min(reached_at) filter (where stage = 'won') as won_at,
        max(reached_at) filter (where stage = 'lost') as lost_at,
        max(reached_at) filter (where stage = 'recycled') as last_recycled_at,
        max(reached_at) filter (where stage in ('mql', 'sal', 'sql', 'opportunity', 'won'))
            as last_forward_at
    from signals
    group by person_id
),

backfilled as (
    select
        people.person_id,
        firsts.won_at,
        firsts.lost_at,
        firsts.last_recycled_at,
        firsts.last_forward_at,
        firsts.lead_raw_at,
        firsts.mql_raw_at,
        firsts.sal_raw_at,
        firsts.sql_raw_at,
        firsts.opportunity_raw_at
    from people
    left join firsts on people.person_id = firsts.person_id
),

step_opportunity as (
    select *, least(opportunity_raw_at, won_at) as opportunity_at from backfilled
),

step_sql as (
    select *, least(sql_raw_at, opportunity_at) as sql_at from step_opportunity
),

step_sal as (
    select *, least(sal_raw_at, sql_at) as sal_at from step_sql
),

step_mql as (
    select *, least(mql_raw_at, sal_at) as mql_at from step_sal
),

step_lead as (
    select *, least(lead_raw_at, mql_at) as lead_at from step_mql
),

flagged as (
    select
        *,
        coalesce(
            last_recycled_at is not null
            and won_at is null
            and last_recycled_at > coalesce(last_forward_at, '-infinity'::timestamptz),
            false
        ) as is_recycled
    from step_lead
)

select
    person_id,
    lead_at,
    mql_at,
    sal_at,
    sql_at,
    opportunity_at,
    won_at,
    lost_at,
    case
        when won_at is not null then 'won'
        when is_recycled then 'recycled'
        when lost_at is not null then 'lost'
        when opportunity_at is not null then 'opportunity'
        when sql_at is not null then 'sql'
        when sal_at is not null then 'sal'
        when mql_at is not null then 'mql'
        when lead_at is not null then 'lead'
        else 'unknown'
    end as current_stage,
    is_recycled,
    case when is_recycled then last_recycled_at end as recycled_at,
    mql_raw_at is null and mql_at is not null as is_mql_backfilled
from flagged
