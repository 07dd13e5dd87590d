{#- Lifecycle signals recorded in Salesforce: lead / contact creation and lead status
    changes. Which status means which stage is data (seed stage_definitions, signal_type
    lead_status), so RevOps can rename statuses without touching SQL. -#}
with leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

contacts as (
    select * from {{ ref('stg_salesforce__contacts') }}
),

lead_history as (
    select * from {{ ref('stg_salesforce__lead_history') }}
),

status_stages as (
    -- a status change is an event typed by the stage its status reaches (mql, sal, sql,
    -- recycled, disqualified ...)
    select distinct lower(signal_value) as lead_status, stage as event_type
    from {{ ref('stage_definitions') }}
    where signal_type = 'lead_status'
),

status_changes as (
    select
        lead_history.lead_history_id as source_record_id,
        status_stages.event_type,
        lead_history.created_at as occurred_at,
        lead_history.lead_id,
        {{ json_object({'old_status': 'lead_history.old_value', 'new_status': 'lead_history.new_value'}) }}
            as event_properties
    from lead_history
    inner join status_stages
        on lower(lead_history.new_value) = status_stages.lead_status
    where lower(lead_history.field_name) in ('status', 'leadstatus')
),

created as (
    select
        'lead:' || lead_id as source_record_id,
        'lead_created' as event_type,
        created_at as occurred_at,
        'salesforce_lead' as identity_source_system,
        lead_id as identity_source_id,
        lead_source,
        owner_id,
        {{ json_object({'lead_source': 'lead_source'}) }} as event_properties
    from leads
    where created_at is not null

    union all

    select
        'contact:' || contact_id as source_record_id,
        'lead_created' as event_type,
        created_at as occurred_at,
        'salesforce_contact' as identity_source_system,
        contact_id as identity_source_id,
        lead_source,
        owner_id,
        {{ json_object({'lead_source': 'lead_source'}) }} as event_properties
    from contacts
    where created_at is not null
),

unioned as (
    select
        source_record_id, event_type, occurred_at, identity_source_system, identity_source_id,
        lead_source, owner_id, event_properties
    from created

    union all

    select
        status_changes.source_record_id,
        status_changes.event_type,
        status_changes.occurred_at,
        'salesforce_lead' as identity_source_system,
        status_changes.lead_id as identity_source_id,
        cast(null as {{ dbt.type_string() }}) as lead_source,
        leads.owner_id,
        status_changes.event_properties
    from status_changes
    left join leads on status_changes.lead_id = leads.lead_id
)

select
    'salesforce' as source_system,
    source_record_id,
    event_type,
    occurred_at,
    'UTC' as source_timezone,
    identity_source_system,
    identity_source_id,
    cast(null as {{ dbt.type_string() }}) as anonymous_id,
    cast(null as {{ dbt.type_string() }}) as salesforce_account_id,
    cast(null as {{ dbt.type_string() }}) as source,
    cast(null as {{ dbt.type_string() }}) as medium,
    cast(null as {{ dbt.type_string() }}) as campaign,
    cast(null as {{ dbt.type_string() }}) as campaign_id,
    cast(null as {{ dbt.type_string() }}) as campaign_type,
    cast(null as {{ dbt.type_string() }}) as click_id,
    cast(null as {{ dbt.type_string() }}) as click_id_type,
    cast(null as {{ dbt.type_string() }}) as page_location,
    false as is_pricing_page,
    false as is_comparison_page,
    owner_id,
    cast(null as {{ dbt.type_string() }}) as opportunity_type,
    event_properties
from unioned
