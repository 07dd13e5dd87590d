{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='anonymous_id',
    on_schema_change='fail',
    post_hook="{% if is_incremental() %}delete from {{ this }} as base where not exists (select 1 from {{ ref('stg_ga4__deliveries') }} as current_delivery where current_delivery.source_file = base.source_file and current_delivery.batch_id = base.batch_id){% endif %}"
) }}
{#- The incremental GA4 event base: every current GA4 event with what its session and its
    cookie say about it (session landing's traffic source and click id, first landing per
    click id), and the delivery it came from. No person or account: identity is applied at
    read time (int_events_resolved joins the current identity map), so a re-clustering never
    rewrites this table. (user_id_hash is the site's own hash of an e-mail, a source value
    that no re-clustering changes; the stitching model reads it here, see
    int_ga4_cookie_identities.)

    Incremental per cookie (delete+insert on anonymous_id): everything this model computes is
    a function of ONE cookie's current events (sessions are per cookie and session id, the
    ad click is the first landing per cookie and click id over the cookie's whole history,
    staging's de-duplication is per cookie and event id). So a night recomputes, whole, every
    cookie that has a row in a delivery that is new since the last build or gone from the
    current ones (macro changed_delivery_keys): a new day, GA4's three-day re-delivery of a
    day with changed rows, the daily file that replaced the intraday one, a session across
    midnight or across a re-delivered day, a delivery set aside or restored. Why delete+insert
    on the cookie and not merge on an event key: a re-delivery can drop or rename events
    (the event_id hashes page and time), and merge only updates or inserts matching keys; the
    cookie is the unit that is recomputed, so it is the unit that is replaced. A cookie left
    with no current event at all (its only delivery superseded) has nothing to insert: the
    post-hook deletes every row whose delivery is no longer current, which keeps the
    invariant "this table holds current deliveries only".

    `revloop run --full-refresh` (dbt --full-refresh) rebuilds it from all of staging; run
    it after changing this model's logic (the stored rows were computed by the old one;
    on_schema_change=fail stops a run whose columns changed). -#}
{%- set changed = changed_delivery_keys(this, ref('stg_ga4__deliveries'), 'anonymous_id')
    if is_incremental() else none %}
{#- The events are read twice (sessions' landings, then every event with its session's):
    over many cookies, computed at each read (inline_cte), which reads the few columns each
    needs, instead of stored once, which spilled GBs of rows at two years; over a night's
    few cookies, stored once (1.4 s against 3.0 s for 20,000 cookies at two years). -#}
{%- set inline = changed is none or not changed_keys_are_listed(changed) %}
-- depends_on: {{ ref('stg_ga4__deliveries') }}
with events as {{ inline_cte() if inline else '' }} (
    {{ latest_event_copies(
        ref('base_ga4__event_rows'),
        changed_keys_filter('anonymous_id', changed) if changed is not none else none,
        inline=inline
    ) | indent(4) }}
),

parsed as {{ inline_cte() if inline else '' }} (
    select
        event_id,
        event_name,
        occurred_at,
        anonymous_id,
        user_id_hash,
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
        ) as referrer_host,
        source_file,
        batch_id
    from events
),

session_landings as (
    -- GA4 credits a session to its landing: later page views of the session inherit the
    -- landing's source / medium / campaign / click id (else they would all look Direct).
    -- One row per session (cookie and session id) with its first event's values, found by
    -- an aggregate over narrow columns, not a window that would sort every event's row.
    select
        anonymous_id,
        session_key,
        landing.event_id as landing_event_id,
        landing.utm_source,
        landing.utm_medium,
        landing.utm_campaign,
        landing.gclid,
        landing.fbclid,
        landing.li_fat_id,
        landing.referrer_host,
        -- the ad click: the first event that carried a click id, per cookie and click id
        -- over the cookie's whole history (the cookie is recomputed whole). Every event of
        -- a session carries its landing's click id, so that first event is the landing of
        -- the cookie's earliest session with the click id.
        coalesce(landing.gclid, landing.fbclid, landing.li_fat_id) is not null
        and row_number() over (
            partition by anonymous_id, coalesce(landing.gclid, landing.fbclid, landing.li_fat_id)
            order by landing.occurred_at, landing.event_id
        ) = 1 as is_ad_click_session
    from (
        select
            anonymous_id,
            coalesce(session_id, -1) as session_key,
            {%- set landing_values = [
                "occurred_at", "event_id", "utm_source", "utm_medium", "utm_campaign",
                "gclid", "fbclid", "li_fat_id", "referrer_host"
            ] %}
            {{ min_by(row_struct(landing_values), row_struct(["occurred_at", "event_id"])) }}
                as landing
        from parsed
        group by anonymous_id, coalesce(session_id, -1)
    ) as sessions
),

sessioned as (
    select
        parsed.event_id, parsed.event_name, parsed.occurred_at, parsed.anonymous_id,
        parsed.user_id_hash, parsed.page_location, parsed.page_referrer, parsed.session_id,
        parsed.form_id, parsed.source_file, parsed.batch_id,
        session_landings.utm_source,
        session_landings.utm_medium,
        session_landings.utm_campaign,
        session_landings.gclid,
        session_landings.fbclid,
        session_landings.li_fat_id,
        session_landings.referrer_host,
        session_landings.is_ad_click_session
        and session_landings.landing_event_id = parsed.event_id as is_ad_click
    from parsed
    -- every event has a cookie: the contract quarantines a line without user_pseudo_id
    inner join session_landings
        on session_landings.anonymous_id = parsed.anonymous_id
        and session_landings.session_key = coalesce(parsed.session_id, -1)
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
)

select
    event_id,
    event_name,
    case event_name
        when 'page_view' then 'page_view'
        when 'file_download' then 'content_download'
        when 'form_submit' then 'form_submission'
        when 'login' then 'login'
    end as event_type,
    occurred_at,
    anonymous_id,
    user_id_hash,
    session_id,
    form_id,
    page_location,
    page_referrer,
    effective_source,
    effective_medium,
    utm_campaign,
    click_id,
    click_id_type,
    is_pricing_page,
    is_comparison_page,
    is_ad_click,
    source_file,
    batch_id
from clicked
