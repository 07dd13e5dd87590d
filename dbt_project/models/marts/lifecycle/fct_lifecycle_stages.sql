{#- One row per person: the first time each lifecycle stage was reached.
    Back-fill: reaching a later stage means the earlier ones were passed, so a skipped or
    later-recorded stage takes the later stage's time: won -> opportunity -> sql -> sal ->
    mql -> lead, each stage_at = least(own first signal, next stage_at). This makes the
    timestamps monotone (lead <= mql <= sal <= sql <= opportunity <= won) by construction.
    Leaving the funnel (stages `recycled` and `disqualified` of seed stage_definitions):
    stage timestamps stay first-reached (history is not erased). An exit signal counts
    only after an earlier forward signal (mql, sal, sql, opportunity, won): a lead marked
    Recycled that never qualified is still a lead. A person is out of the funnel when the
    latest counting exit is later than every forward signal and they have not won;
    current_stage then names that exit (recycled or disqualified). Every forward signal
    after it (a re-qualifying score, a new MQL/SAL/SQL status, a new opportunity) ends
    it: int_lifecycle_signals lists every such signal, not only the first. -#}
with people as (
    select distinct person_id from {{ ref('int_person_source_ids') }}
),

signals as (
    select * from {{ ref('int_lifecycle_signals') }}
),

first_forward as (
    select person_id, min(reached_at) as first_forward_at
    from signals
    where stage in ('mql', 'sal', 'sql', 'opportunity', 'won')
    group by person_id
),

exits as (
    -- recycled / disqualified only count after the person first moved forward
    select signals.person_id, signals.stage, signals.reached_at
    from signals
    inner join first_forward on signals.person_id = first_forward.person_id
    where signals.stage in ('recycled', 'disqualified')
      and signals.reached_at > first_forward.first_forward_at
),

last_exit as (
    select
        person_id,
        max(reached_at) as last_exit_at,
        -- the latest exit; recycled and disqualified at one instant: disqualified
        {{ max_by('stage', event_order_key('reached_at', "case when stage = 'disqualified' then '1' else '0' end")) }}
            as exit_stage
    from exits
    group by person_id
),

firsts as (
    select
        signals.person_id,
        min(reached_at) filter (where stage = 'lead') as lead_raw_at,
        min(reached_at) filter (where stage = 'mql') as mql_raw_at,
        min(reached_at) filter (where stage = 'sal') as sal_raw_at,
        min(reached_at) filter (where stage = 'sql') as sql_raw_at,
        min(reached_at) filter (where stage = 'opportunity') as opportunity_raw_at,
        min(reached_at) filter (where stage = 'won') as won_at,
        max(reached_at) filter (where stage = 'lost') as lost_at,
        max(reached_at) filter (where stage in ('mql', 'sal', 'sql', 'opportunity', 'won'))
            as last_forward_at
    from signals
    group by signals.person_id
),

backfilled as (
    select
        people.person_id,
        firsts.won_at,
        firsts.lost_at,
        last_exit.last_exit_at,
        last_exit.exit_stage,
        firsts.last_forward_at,
        firsts.lead_raw_at,
        firsts.mql_raw_at,
        firsts.sal_raw_at,
        firsts.sql_raw_at,
        firsts.opportunity_raw_at
    from people
    left join firsts on people.person_id = firsts.person_id
    left join last_exit on people.person_id = last_exit.person_id
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
        case
            when last_exit_at is not null
                and won_at is null
                and last_exit_at > last_forward_at
                then exit_stage
        end as exited_to
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
        when exited_to is not null then exited_to
        when lost_at is not null then 'lost'
        when opportunity_at is not null then 'opportunity'
        when sql_at is not null then 'sql'
        when sal_at is not null then 'sal'
        when mql_at is not null then 'mql'
        when lead_at is not null then 'lead'
        else 'unknown'
    end as current_stage,
    coalesce(exited_to = 'recycled', false) as is_recycled,
    case when exited_to = 'recycled' then last_exit_at end as recycled_at,
    coalesce(exited_to = 'disqualified', false) as is_disqualified,
    case when exited_to = 'disqualified' then last_exit_at end as disqualified_at,
    mql_raw_at is null and mql_at is not null as is_mql_backfilled
from flagged
