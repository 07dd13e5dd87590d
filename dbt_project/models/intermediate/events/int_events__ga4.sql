{#- GA4 web events in the unified shape. One row per GA4 event of interest, plus one
    `ad_click` row per (cookie, click id): the first landing that carried a gclid /
    fbclid / li_fat_id is the ad click. UTM values come from GA4's collected traffic
    source, else from the page_location query string. -#}
with events as (
    select * from {{ ref('stg_ga4__events') }}
),

parsed as (
    select
        event_id as ga4_event_id,
        event_name,
        occurred_at as event_at,
        anonymous_id as user_pseudo_id,
        page_location,
        page_referrer,
        ga_session_id as session_id,
        form_id,
        lower(utm_source) as utm_source,
        lower(utm_medium) as utm_medium,
        utm_campaign,
        gclid,
        fbclid,
        li_fat_id,
        -- navigation inside our own site is not a referral
        nullif(
            lower(nullif(regexp_extract(page_referrer, '^[a-z]+://(?:www\.)?([^/:?#]+)', 1), '')),
            lower(regexp_extract(page_location, '^[a-z]+://(?:www\.)?([^/:?#]+)', 1))
        ) as referrer_host
    from events
),

sessioned as (
    -- GA4 credits a session to its landing: later page views of the session inherit the
    -- landing's source / medium / campaign / click id (else they would all look Direct)
    select
        ga4_event_id, event_name, event_at, user_pseudo_id, page_location, page_referrer,
        session_id, form_id,
        first_value(utm_source) over session_order as utm_source,
        first_value(utm_medium) over session_order as utm_medium,
        first_value(utm_campaign) over session_order as utm_campaign,
        first_value(gclid) over session_order as gclid,
        first_value(fbclid) over session_order as fbclid,
        first_value(li_fat_id) over session_order as li_fat_id,
        first_value(referrer_host) over session_order as referrer_host
    from parsed
    window session_order as (
        partition by user_pseudo_id, coalesce(session_id, -1)
        order by event_at, ga4_event_id
        rows between unbounded preceding and unbounded following
    )
),

clicked as (
    select
        *,
        coalesce(gclid, fbclid, li_fat_id) as click_id,
        case
            when gclid is not null then 'gclid'
            when fbclid is not null then 'fbclid'
            when li_fat_id is not null then 'li_fat_id'
        end as click_id_type,
        -- a referral without UTM: the referrer host is the source, "referral" the medium
        case
            when utm_source is null and utm_medium is null and referrer_host is not null
                then 'referral'
            else utm_medium
        end as effective_medium,
        coalesce(utm_source, referrer_host) as effective_source,
        regexp_matches(lower(coalesce(page_location, '')), '/(pricing|price|plans?)(/|\?|#|$)|料金')
            as is_pricing_page,
        regexp_matches(lower(coalesce(page_location, '')), '/(compare|comparison|vs)(/|-|\?|#|$)|比較')
            as is_comparison_page
    from sessioned
),

typed as (
    select
        *,
        case event_name
            when 'page_view' then 'page_view'
            when 'file_download' then 'content_download'
            when 'form_submit' then 'form_submission'
            when 'login' then 'login'
        end as event_type
    from clicked
),

ad_clicks as (
    select *
    from clicked
    where click_id is not null
    qualify row_number() over (
        partition by user_pseudo_id, click_id order by event_at, ga4_event_id
    ) = 1
)

select
    'ga4' as source_system,
    ga4_event_id as source_record_id,
    event_type,
    event_at as occurred_at,
    'UTC' as source_timezone,
    'ga4_cookie' as identity_source_system,
    user_pseudo_id as identity_source_id,
    user_pseudo_id as anonymous_id,
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
             'page_referrer': page_referrer}) as event_properties
from typed
where event_type is not null

union all

select
    'ga4' as source_system,
    ga4_event_id as source_record_id,
    'ad_click' as event_type,
    event_at as occurred_at,
    'UTC' as source_timezone,
    'ga4_cookie' as identity_source_system,
    user_pseudo_id as identity_source_id,
    user_pseudo_id as anonymous_id,
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
    to_json({'event_name': event_name, 'session_id': session_id}) as event_properties
from ad_clicks
