{#- Speed to lead, one row per person who became an MQL or filled a form: how long until
    the first sales touch. trigger_at = when the lead was handed to sales: the first
    Salesforce MQL status change, else the MQL time of fct_lifecycle_stages, else (leads
    that never became MQL) the first form submission; first_touch_at = the first call,
    sales e-mail or meeting (seed event_types is_sales_touch) at or after trigger_at;
    is_within_sla = response within var sla_minutes; is_unworked = no sales touch at all.
    owner_id = the owner of the person's Salesforce lead (else contact) record, else the
    owner who made the first touch. -#}
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
    select person_id, mql_at from {{ ref('fct_lifecycle_stages') }}
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
        arg_min(events.owner_id, events.occurred_at) as first_touch_owner_id
    from triggers
    inner join events
        on triggers.person_id = events.person_id
        and events.occurred_at >= triggers.trigger_at
    inner join sales_touch_types on events.event_type = sales_touch_types.event_type
    group by triggers.person_id
),

record_owners as (
    select
        bridge.person_id,
        arg_min(
            coalesce(leads.owner_id, contacts.owner_id),
            case bridge.source_system when 'salesforce_lead' then 1 else 2 end
        ) filter (where coalesce(leads.owner_id, contacts.owner_id) is not null) as owner_id
    from {{ ref('bridge_person_identities') }} as bridge
    left join {{ ref('stg_salesforce__leads') }} as leads
        on bridge.source_system = 'salesforce_lead' and bridge.source_id = leads.lead_id
    left join {{ ref('stg_salesforce__contacts') }} as contacts
        on bridge.source_system = 'salesforce_contact' and bridge.source_id = contacts.contact_id
    where bridge.source_system in ('salesforce_lead', 'salesforce_contact')
    group by bridge.person_id
)

select
    triggers.person_id,
    coalesce(record_owners.owner_id, touches.first_touch_owner_id) as owner_id,
    triggers.trigger_type,
    triggers.trigger_at,
    touches.first_touch_at,
    round((epoch(touches.first_touch_at) - epoch(triggers.trigger_at)) / 60.0, 1) as response_minutes,
    coalesce(
        (epoch(touches.first_touch_at) - epoch(triggers.trigger_at)) / 60.0 <= {{ var('sla_minutes') }},
        false
    ) as is_within_sla,
    touches.first_touch_at is null as is_unworked
from triggers
left join touches on triggers.person_id = touches.person_id
left join record_owners on triggers.person_id = record_owners.person_id
