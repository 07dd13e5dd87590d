{#- Speed to lead, one row per person who became an MQL or filled a form: how long until
    the first sales touch. trigger_at = when the lead was handed to sales, a moment the
    lead or marketing created, never one derived from the response: the first Salesforce
    MQL status change, else the person's real MQL time (a status or the score rule; not an
    MQL back-filled from a later stage, since that back-fill is dated by the sales touch
    itself), else (leads that never became MQL) the first form submission.
    first_touch_at = the first call, sales e-mail or meeting (seed event_types
    is_sales_touch) at or after trigger_at; is_within_sla = response within var
    sla_minutes; is_unworked = no sales touch at all. owner_id = the owner of the person's
    Salesforce lead (else contact) record, else the owner who made the first touch; the
    owner's team is their Salesforce user Department. -#}
with events as (
    select event_id, person_id, event_type, occurred_at, owner_id
    from {{ ref('fct_events') }}
    where person_id is not null
      and occurred_at <= {{ as_of() }}
),

sales_touch_types as (
    select event_type from {{ ref('event_types') }} where is_sales_touch
),

stages as (
    select person_id, case when not is_mql_backfilled then mql_at end as mql_at
    from {{ ref('fct_lifecycle_stages') }}
),

first_forms as (
    select person_id, min(occurred_at) as first_form_at
    from events
    where event_type = 'form_submission'
    group by person_id
),

handoffs as (
    -- the Salesforce MQL status change is the moment sales was handed the lead
    select person_id, min(occurred_at) as handoff_at
    from events
    where event_type = 'mql'
    group by person_id
),

triggers as (
    select
        coalesce(stages.person_id, first_forms.person_id) as person_id,
        coalesce(handoffs.handoff_at, stages.mql_at, first_forms.first_form_at) as trigger_at,
        case
            when coalesce(handoffs.handoff_at, stages.mql_at) is not null then 'mql'
            else 'form_submission'
        end as trigger_type
    from stages
    full outer join first_forms on stages.person_id = first_forms.person_id
    left join handoffs on coalesce(stages.person_id, first_forms.person_id) = handoffs.person_id
    where coalesce(handoffs.handoff_at, stages.mql_at, first_forms.first_form_at) is not null
),

touches as (
    select
        triggers.person_id,
        min(events.occurred_at) as first_touch_at,
        -- the owner of the first touch; touches at one instant (a meeting with two reps
        -- invited) go by event_id, so a rebuild names the same owner
        {{ min_by('events.owner_id', event_order_key('events.occurred_at', 'events.event_id')) }}
            as first_touch_owner_id
    from triggers
    inner join events
        on triggers.person_id = events.person_id
        and events.occurred_at >= triggers.trigger_at
    inner join sales_touch_types on events.event_type = sales_touch_types.event_type
    group by triggers.person_id
),

record_owners as (
    select
        ids.person_id,
        -- a lead's owner over a contact's; a person with several leads (duplicates routed
        -- to different reps) takes the smallest record id, so a rebuild names the same owner
        {{ min_by(
            'coalesce(leads.owner_id, contacts.owner_id)',
            dbt.concat(["case ids.source_system when 'salesforce_lead' then '1' else '2' end", 'ids.source_id'])
        ) }} as owner_id
    from {{ ref('int_person_source_ids') }} as ids
    left join {{ ref('stg_salesforce__leads') }} as leads
        on ids.source_system = 'salesforce_lead' and ids.source_id = leads.lead_id
    left join {{ ref('stg_salesforce__contacts') }} as contacts
        on ids.source_system = 'salesforce_contact' and ids.source_id = contacts.contact_id
    where ids.source_system in ('salesforce_lead', 'salesforce_contact')
      and coalesce(leads.owner_id, contacts.owner_id) is not null
    group by ids.person_id
),

users as (
    select user_id, user_name, department from {{ ref('stg_salesforce__users') }}
),

responses as (
    select
        triggers.person_id,
        coalesce(record_owners.owner_id, touches.first_touch_owner_id) as owner_id,
        triggers.trigger_type,
        triggers.trigger_at,
        touches.first_touch_at,
        ({{ epoch_seconds('touches.first_touch_at') }} - {{ epoch_seconds('triggers.trigger_at') }})
            / 60.0 as minutes
    from triggers
    left join touches on triggers.person_id = touches.person_id
    left join record_owners on triggers.person_id = record_owners.person_id
)

select
    responses.person_id,
    responses.owner_id,
    users.user_name as owner_name,
    users.department as owner_team,
    responses.trigger_type,
    responses.trigger_at,
    responses.first_touch_at,
    round(responses.minutes, 1) as response_minutes,
    coalesce(responses.minutes <= {{ var('sla_minutes') }}, false) as is_within_sla,
    responses.first_touch_at is null as is_unworked
from responses
left join users on responses.owner_id = users.user_id
