-- dagster: two upstream models; the check belongs to the base it guards.
{{ config(meta={'dagster': {'ref': {'name': 'int_ga4_events_sessioned'}}}) }}
-- A failure means the incremental GA4 base kept rows of a delivery that is no longer current
-- (superseded by a re-delivery or set aside), so a web event the vendor withdrew still
-- counts; one row per such delivery. `revloop run --full-refresh` repairs it; the cause is
-- a bug in int_ga4_events_sessioned's post-hook or in macro changed_delivery_keys.
select base.source_file, base.batch_id, count(*) as stale_rows
from {{ ref('int_ga4_events_sessioned') }} as base
where not exists (
    select 1 from {{ ref('stg_ga4__deliveries') }} as current_delivery
    where current_delivery.source_file = base.source_file
        and current_delivery.batch_id = base.batch_id
)
group by base.source_file, base.batch_id
