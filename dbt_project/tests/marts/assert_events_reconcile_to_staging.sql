-- A failure means the unified event log lost or duplicated source rows: for each source
-- the rows staging says should become events differ from the events fct_events holds
-- (e.g. an event type missing from seed event_types, or a join fanning out).
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

    select 'opportunities created', count(*)
    from {{ ref('stg_salesforce__opportunities') }} where created_at is not null

    union all

    select 'opportunities closed', count(*)
    from {{ ref('stg_salesforce__opportunities') }} where is_closed
),

actual as (
    select 'ga4 web events' as check_name, count(*) as actual_rows
    from {{ ref('fct_events') }} where source_system = 'ga4' and event_type <> 'ad_click'

    union all

    select 'marketo activities', count(*)
    from {{ ref('fct_events') }}
    where source_system = 'marketo' and source_record_id not like 'lead:%'

    union all

    select 'marketo leads created', count(*)
    from {{ ref('fct_events') }}
    where source_system = 'marketo' and source_record_id like 'lead:%'

    union all

    select 'salesforce sales touches', count(*)
    from {{ ref('fct_events') }}
    where source_system = 'salesforce' and event_type in ('inside_sales_call', 'sales_email', 'meeting')

    union all

    select 'opportunities created', count(*)
    from {{ ref('fct_events') }} where event_type = 'opportunity_created'

    union all

    select 'opportunities closed', count(*)
    from {{ ref('fct_events') }}
    where event_type in ('closed_won', 'closed_lost', 'renewal', 'expansion', 'churn')
)

select expected.check_name, expected.expected_rows, actual.actual_rows
from expected
inner join actual on expected.check_name = actual.check_name
where expected.expected_rows <> actual.actual_rows
