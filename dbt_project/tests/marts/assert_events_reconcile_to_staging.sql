-- A failure means the unified event log lost or duplicated source rows: for each source
-- the rows staging says should become events differ from the events fct_events holds
-- plus the cross-source duplicates it dropped on purpose (int_event_duplicates: one
-- real-world action recorded by two systems is one event), e.g. an event type missing
-- from seed event_types, or a join fanning out.
-- dagster: several upstream models; the check belongs to the one named here.
{{ config(meta={'dagster': {'ref': {'name': 'fct_events'}}}) }}
with expected as (
    select 'ga4 web events' as check_name, count(*) as expected_rows
    from {{ ref('stg_ga4__events') }}
    where event_name in ('page_view', 'file_download', 'form_submit', 'login')

    union all

    select 'marketo activities', count(*)
    from {{ ref('stg_marketo__activities') }}
    where activity_type_id in (1, 2, 6, 9, 10, 11)
       or (activity_type_id = 104
           and (coalesce(program_status, primary_attribute_value) ilike '%attend%'
                or coalesce(program_status, primary_attribute_value) ilike '%regist%'))

    union all

    select 'marketo leads created', count(*)
    from {{ ref('stg_marketo__leads') }} where created_at is not null

    union all

    select 'salesforce sales touches', (
        select count(*) from {{ ref('stg_salesforce__tasks') }}
        where coalesce(task_subtype, task_type) in ('Call', 'Email') and created_at is not null
    ) + (
        select count(*) from {{ ref('stg_salesforce__events') }}
        where coalesce(started_at, created_at) is not null
    )

    union all

    select 'salesforce campaign members', (
        select count(*)
        from {{ ref('stg_salesforce__campaign_members') }} as members
        inner join {{ ref('stg_salesforce__campaigns') }} as campaigns
            on members.campaign_id = campaigns.campaign_id
        where lower(campaigns.campaign_type) = 'webinar'
          and coalesce(members.contact_id, members.lead_id) is not null
    ) + (
        select count(*)
        from {{ ref('stg_salesforce__campaign_members') }} as members
        inner join {{ ref('stg_salesforce__campaigns') }} as campaigns
            on members.campaign_id = campaigns.campaign_id
        where lower(campaigns.campaign_type) in ('webinar', 'trade show', 'event', 'conference',
                                                 'seminar / conference')
          and (members.has_responded or lower(coalesce(members.member_status, '')) like '%attend%')
          and coalesce(members.contact_id, members.lead_id) is not null
    )

    union all

    select 'opportunities created', count(*)
    from {{ ref('stg_salesforce__opportunities') }} where created_at is not null

    union all

    select 'opportunities closed', count(*)
    from {{ ref('stg_salesforce__opportunities') }} where is_closed
),

logged as (
    -- what the log holds plus what it dropped as a duplicate of another source's event,
    -- counted once per (source, event type, lead record or not): the checks below read
    -- these few counts, not the ten million events seven times
    select
        source_system,
        event_type,
        source_record_id like 'lead:%' as is_lead_record,
        count(*) as events
    from (
        select source_system, source_record_id, event_type from {{ ref('fct_events') }}
        union all
        select source_system, source_record_id, event_type from {{ ref('int_event_duplicates') }}
    ) as events
    group by source_system, event_type, source_record_id like 'lead:%'
),

actual as (
    select 'ga4 web events' as check_name, coalesce(sum(events), 0) as actual_rows
    from logged where source_system = 'ga4' and event_type <> 'ad_click'

    union all

    select 'marketo activities', coalesce(sum(events), 0)
    from logged
    where source_system = 'marketo' and not is_lead_record

    union all

    select 'marketo leads created', coalesce(sum(events), 0)
    from logged
    where source_system = 'marketo' and is_lead_record

    union all

    select 'salesforce sales touches', coalesce(sum(events), 0)
    from logged
    where source_system = 'salesforce' and event_type in ('inside_sales_call', 'sales_email', 'meeting')

    union all

    select 'salesforce campaign members', coalesce(sum(events), 0)
    from logged
    where source_system = 'salesforce'
      and event_type in ('webinar_registration', 'webinar_attendance', 'event_attendance')

    union all

    select 'opportunities created', coalesce(sum(events), 0)
    from logged where event_type = 'opportunity_created'

    union all

    select 'opportunities closed', coalesce(sum(events), 0)
    from logged
    where event_type in ('closed_won', 'closed_lost', 'renewal', 'expansion', 'churn')
)

select expected.check_name, expected.expected_rows, actual.actual_rows
from expected
inner join actual on expected.check_name = actual.check_name
where expected.expected_rows <> actual.actual_rows
