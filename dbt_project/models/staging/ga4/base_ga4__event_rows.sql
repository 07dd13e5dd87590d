{#- GA4 export events as delivered: one row per current raw row, so the same event in two
    current deliveries is here twice (stg_ga4__events keeps one). event_params unpacked
    (page_location, page_referrer, ga_session_id, form_id), UTC timestamp from microseconds,
    UTM parameters and click ids from the event-scoped traffic source or else the page URL's
    query string, and a deterministic event_id (GA4 has none) over the natural key. -#}
with source as (
    select * from {{ source('ga4', 'ga4__events') }} where {{ is_current_delivery() }}
),

params as (
    select
        *,
        list_filter(event_params, lambda p: p.key = 'page_location')[1].value.string_value
            as page_location,
        list_filter(event_params, lambda p: p.key = 'page_referrer')[1].value.string_value
            as page_referrer,
        list_filter(event_params, lambda p: p.key = 'ga_session_id')[1].value as session_value,
        list_filter(event_params, lambda p: p.key = 'form_id')[1].value as form_value
    from source
),

renamed as (
    select
        md5(concat_ws(
            '|', user_pseudo_id, cast(event_timestamp as varchar), event_name,
            coalesce(page_location, ''),
            coalesce(cast(coalesce(session_value.int_value, try_cast(session_value.string_value as bigint)) as varchar), '')
        )) as event_id,
        event_name,
        cast(event_date as date) as event_date,
        make_timestamptz(cast(event_timestamp as bigint)) as occurred_at,
        user_pseudo_id as anonymous_id,
        nullif(lower(trim(user_id)), '') as user_id_hash,
        coalesce(session_value.int_value, try_cast(session_value.string_value as bigint))
            as ga_session_id,
        coalesce(form_value.string_value, cast(form_value.int_value as varchar)) as form_id,
        page_location,
        page_referrer,
        {{ domain_from_url('page_location') }} as page_domain,
        nullif(regexp_extract(page_location, '^[a-zA-Z]+://[^/?#]+(/[^?#]*)', 1), '') as page_path,
        coalesce(
            nullif(collected_traffic_source.manual_source, ''),
            url_decode({{ url_query_param('page_location', 'utm_source') }})
        ) as utm_source,
        coalesce(
            nullif(collected_traffic_source.manual_medium, ''),
            url_decode({{ url_query_param('page_location', 'utm_medium') }})
        ) as utm_medium,
        coalesce(
            nullif(collected_traffic_source.manual_campaign_name, ''),
            url_decode({{ url_query_param('page_location', 'utm_campaign') }})
        ) as utm_campaign,
        coalesce(
            nullif(collected_traffic_source.manual_content, ''),
            url_decode({{ url_query_param('page_location', 'utm_content') }})
        ) as utm_content,
        coalesce(
            nullif(collected_traffic_source.manual_term, ''),
            url_decode({{ url_query_param('page_location', 'utm_term') }})
        ) as utm_term,
        coalesce(
            nullif(collected_traffic_source.gclid, ''),
            {{ url_query_param('page_location', 'gclid') }}
        ) as gclid,
        {{ url_query_param('page_location', 'fbclid') }} as fbclid,
        {{ url_query_param('page_location', 'li_fat_id') }} as li_fat_id,
        traffic_source.source as first_user_source,
        traffic_source.medium as first_user_medium,
        traffic_source.name as first_user_campaign,
        device.category as device_category,
        geo.country as geo_country,
        geo.city as geo_city,
        _loaded_at as loaded_at,
        _source_file as source_file,
        _batch_id as batch_id,
        _row_number as row_number
    from params
)

select * from renamed
