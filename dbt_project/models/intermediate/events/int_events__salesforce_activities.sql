{#- Sales touches logged in Salesforce: calls and e-mails (Task subtype) and meetings
    (Event). The WhoId prefix says whether the person is a lead (00Q) or a contact (003).
    A task's moment is when it was logged (CreatedDate); a meeting's is its start. -#}
with tasks as (
    select * from {{ ref('stg_salesforce__tasks') }}
),

meetings as (
    select * from {{ ref('stg_salesforce__events') }}
),

unioned as (
    select
        task_id as source_record_id,
        case
            when task_subtype = 'Call' or (task_subtype is null and task_type = 'Call')
                then 'inside_sales_call'
            when task_subtype = 'Email' or (task_subtype is null and task_type = 'Email')
                then 'sales_email'
        end as event_type,
        created_at as occurred_at,
        who_id,
        what_id,
        owner_id,
        to_json({'subject': subject, 'status': task_status,
                 'call_duration_seconds': call_duration_seconds}) as event_properties
    from tasks

    union all

    select
        event_id as source_record_id,
        'meeting' as event_type,
        coalesce(started_at, created_at) as occurred_at,
        who_id,
        what_id,
        owner_id,
        to_json({'subject': subject, 'end_at': ended_at}) as event_properties
    from meetings
)

select
    'salesforce' as source_system,
    source_record_id,
    event_type,
    occurred_at,
    'UTC' as source_timezone,
    case
        when who_id like '00Q%' then 'salesforce_lead'
        when who_id like '003%' then 'salesforce_contact'
    end as identity_source_system,
    who_id as identity_source_id,
    cast(null as varchar) as anonymous_id,
    case when what_id like '001%' then what_id end as salesforce_account_id,
    cast(null as varchar) as source,
    cast(null as varchar) as medium,
    cast(null as varchar) as campaign,
    cast(null as varchar) as campaign_id,
    cast(null as varchar) as campaign_type,
    cast(null as varchar) as click_id,
    cast(null as varchar) as click_id_type,
    cast(null as varchar) as page_location,
    false as is_pricing_page,
    false as is_comparison_page,
    owner_id,
    cast(null as varchar) as opportunity_type,
    event_properties
from unioned
where event_type is not null
  and occurred_at is not null
