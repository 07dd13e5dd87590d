{{ config(materialized='view') }}
{#- GA4 web events in the unified shape. One row per GA4 event of interest, plus one
    `ad_click` row per (cookie, click id): the first landing that carried a gclid /
    fbclid / li_fat_id is the ad click. UTM values come from GA4's collected traffic
    source, else from the page_location query string. The work (sessions, click ids) is
    done once per event in the incremental base int_ga4_events_sessioned; this view only
    shapes it, so no night copies two years of web events. The delivery (source_file,
    batch_id) goes along: the event base int_events_base recomputes per changed delivery.
    `base` feeds both halves of the union: read at each (inline_cte), not stored whole. -#}
with base as {{ inline_cte() }} (
    select * from {{ ref('int_ga4_events_sessioned') }}
)

select
    'ga4' as source_system,
    event_id as source_record_id,
    event_type,
    occurred_at,
    'UTC' as source_timezone,
    'ga4_cookie' as identity_source_system,
    anonymous_id as identity_source_id,
    anonymous_id,
    cast(null as varchar) as salesforce_account_id,
    effective_source as source,
    effective_medium as medium,
    utm_campaign as campaign,
    cast(null as varchar) as campaign_id,
    cast(null as varchar) as campaign_type,
    click_id,
    click_id_type,
    page_location,
    is_pricing_page,
    is_comparison_page,
    cast(null as varchar) as owner_id,
    cast(null as varchar) as opportunity_type,
    to_json({'event_name': event_name, 'session_id': session_id, 'form_id': form_id,
             'page_referrer': page_referrer}) as event_properties,
    source_file,
    batch_id
from base
where event_type is not null

union all

select
    'ga4' as source_system,
    event_id as source_record_id,
    'ad_click' as event_type,
    occurred_at,
    'UTC' as source_timezone,
    'ga4_cookie' as identity_source_system,
    anonymous_id as identity_source_id,
    anonymous_id,
    cast(null as varchar) as salesforce_account_id,
    coalesce(effective_source, case click_id_type
        when 'gclid' then 'google' when 'fbclid' then 'facebook' when 'li_fat_id' then 'linkedin'
    end) as source,
    coalesce(effective_medium, 'cpc') as medium,
    utm_campaign as campaign,
    cast(null as varchar) as campaign_id,
    cast(null as varchar) as campaign_type,
    click_id,
    click_id_type,
    page_location,
    false as is_pricing_page,
    false as is_comparison_page,
    cast(null as varchar) as owner_id,
    cast(null as varchar) as opportunity_type,
    to_json({'event_name': event_name, 'session_id': session_id}) as event_properties,
    source_file,
    batch_id
from base
where is_ad_click
