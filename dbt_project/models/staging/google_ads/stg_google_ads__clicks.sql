{#- Google Ads click_view: one row per gclid, linking a click id seen on the web to its
    campaign. -#}
with source as (
    select * from {{ source('google_ads', 'google_ads__click_view') }} where {{ is_current_delivery() }}
    {{ newest_version('"click_view.gclid"') }}
),

renamed as (
    select
        "click_view.gclid" as gclid,
        cast("segments.date" as date) as click_date,
        "campaign.id" as campaign_id,
        "ad_group.id" as ad_group_id,
        _loaded_at as loaded_at
    from source
)

select * from renamed
