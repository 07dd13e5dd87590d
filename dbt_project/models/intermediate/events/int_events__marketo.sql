{#- Marketo activities and lead creation in the unified shape. Activity type ids are the
    standard Marketo ones (extract-formats.md); types that are not dated customer actions
    (delivered, bounced, data value / score changes, interesting moments) are left out. -#}
with activities as (
    select * from {{ ref('stg_marketo__activities') }}
),

leads as (
    select * from {{ ref('stg_marketo__leads') }}
),

flattened as (
    select
        activity_id,
        marketo_lead_id,
        activity_type_id,
        occurred_at as activity_at,
        campaign_id,
        primary_attribute_value,
        webpage_url,
        query_parameters,
        referrer_url,
        form_name,
        coalesce(program_status, primary_attribute_value) as new_status
    from activities
),

typed as (
    select
        *,
        case
            when activity_type_id = 1 then 'web_visit'
            when activity_type_id = 2 then 'form_submission'
            when activity_type_id = 6 then 'email_send'
            when activity_type_id = 9 then 'unsubscribe'
            when activity_type_id = 10 then 'email_open'
            when activity_type_id = 11 then 'email_click'
            when activity_type_id = 12 then 'lead_created'
            when activity_type_id = 104 and new_status ilike '%attend%' then 'webinar_attendance'
            when activity_type_id = 104 and new_status ilike '%regist%' then 'webinar_registration'
        end as event_type,
        lower(nullif(url_decode(regexp_extract(query_parameters, '(?:^|&)utm_source=([^&#]*)', 1)), ''))
            as utm_source,
        lower(nullif(url_decode(regexp_extract(query_parameters, '(?:^|&)utm_medium=([^&#]*)', 1)), ''))
            as utm_medium,
        nullif(url_decode(regexp_extract(query_parameters, '(?:^|&)utm_campaign=([^&#]*)', 1)), '')
            as utm_campaign,
        nullif(regexp_extract(query_parameters, '(?:^|&)(gclid|fbclid|li_fat_id)=([^&#]+)', 2), '')
            as click_id,
        nullif(regexp_extract(query_parameters, '(?:^|&)(gclid|fbclid|li_fat_id)=([^&#]+)', 1), '')
            as click_id_type,
        nullif(
            lower(nullif(regexp_extract(referrer_url, '^[a-z]+://(?:www\.)?([^/:?#]+)', 1), '')),
            lower(regexp_extract(webpage_url, '^[a-z]+://(?:www\.)?([^/:?#]+)', 1))
        ) as referrer_host
    from flattened
)

select
    'marketo' as source_system,
    cast(activity_id as varchar) as source_record_id,
    event_type,
    activity_at as occurred_at,
    'UTC' as source_timezone,
    'marketo_lead' as identity_source_system,
    cast(marketo_lead_id as varchar) as identity_source_id,
    cast(null as varchar) as anonymous_id,
    cast(null as varchar) as salesforce_account_id,
    coalesce(utm_source, referrer_host) as source,
    case
        when utm_source is null and utm_medium is null and referrer_host is not null then 'referral'
        else utm_medium
    end as medium,
    coalesce(utm_campaign, case when event_type like 'webinar%' then primary_attribute_value end)
        as campaign,
    campaign_id,
    case
        when event_type like 'webinar%' then 'Webinar'
        when event_type like 'email%' or event_type = 'unsubscribe' then 'Email'
    end as campaign_type,
    click_id,
    click_id_type,
    webpage_url as page_location,
    event_type = 'web_visit'
        and regexp_matches(lower(coalesce(webpage_url, '')), '/(pricing|price|plans?)(/|\?|#|$)|料金')
        as is_pricing_page,
    event_type = 'web_visit'
        and regexp_matches(lower(coalesce(webpage_url, '')), '/(compare|comparison|vs)(/|-|\?|#|$)|比較')
        as is_comparison_page,
    cast(null as varchar) as owner_id,
    cast(null as varchar) as opportunity_type,
    to_json({'activity_type_id': activity_type_id, 'form_name': form_name,
             'primary_attribute_value': primary_attribute_value}) as event_properties
from typed
where event_type is not null
  -- lead creation comes from the lead record below (one per lead, even without activity 12)
  and event_type <> 'lead_created'

union all

select
    'marketo' as source_system,
    'lead:' || cast(marketo_lead_id as varchar) as source_record_id,
    'lead_created' as event_type,
    created_at as occurred_at,
    'UTC' as source_timezone,
    'marketo_lead' as identity_source_system,
    cast(marketo_lead_id as varchar) as identity_source_id,
    cast(null as varchar) as anonymous_id,
    cast(null as varchar) as salesforce_account_id,
    lower(utm_source) as source,
    lower(utm_medium) as medium,
    utm_campaign as campaign,
    cast(null as varchar) as campaign_id,
    cast(null as varchar) as campaign_type,
    gclid as click_id,
    case when gclid is not null then 'gclid' end as click_id_type,
    cast(null as varchar) as page_location,
    false as is_pricing_page,
    false as is_comparison_page,
    cast(null as varchar) as owner_id,
    cast(null as varchar) as opportunity_type,
    to_json({'lead_source': lead_source}) as event_properties
from leads
where created_at is not null
