{#- How an event names the ad campaign it came from, one row per key:
    - key_type `gclid`: Google Ads click_view maps each gclid to its campaign.id (exact);
    - key_type `utm_campaign`: the utm_campaign value (lower-cased, non-alphanumerics as
      `_`) names a campaign through seed ad_campaign_utm (the team's UTM taxonomy, checked
      first), else when it equals a platform campaign's id or its name written the same
      way (Meta and LinkedIn exports carry no click ids, so UTMs are all there is). A value
      that names campaigns on two platforms names none.
    LinkedIn's adAnalytics carries no campaign name: only the id or the seed match it. -#}
with google_clicks as (
    select gclid, campaign_id from {{ ref('stg_google_ads__clicks') }}
),

platform_campaigns as (
    select distinct 'google_ads' as ad_platform, campaign_id, campaign_name
    from {{ ref('stg_google_ads__campaign_stats') }}
    union
    select distinct 'meta_ads', campaign_id, campaign_name
    from {{ ref('stg_meta_ads__insights') }}
    union
    select distinct 'linkedin_ads', campaign_id, cast(null as {{ dbt.type_string() }})
    from {{ ref('stg_linkedin_ads__analytics') }}
),

utm_keys as (
    select {{ utm_key('utm_campaign') }} as key_value, ad_platform,
           cast(campaign_id as {{ dbt.type_string() }}) as campaign_id, 1 as priority
    from {{ ref('ad_campaign_utm') }}
    union all
    select {{ utm_key('campaign_id') }}, ad_platform, campaign_id, 2 from platform_campaigns
    union all
    select {{ utm_key('campaign_name') }}, ad_platform, campaign_id, 3
    from platform_campaigns
    where campaign_name is not null
),

best_utm_keys as (
    select key_value, ad_platform, campaign_id
    from utm_keys
    where key_value is not null
    qualify min(priority) over (partition by key_value) = priority
),

unambiguous_utm_keys as (
    select key_value, min(ad_platform) as ad_platform, min(campaign_id) as campaign_id
    from best_utm_keys
    group by key_value
    having count(distinct ad_platform || ':' || campaign_id) = 1
)

select 'gclid' as key_type, gclid as key_value, 'google_ads' as ad_platform, campaign_id
from google_clicks
where gclid is not null and campaign_id is not null

union all

select 'utm_campaign', key_value, ad_platform, campaign_id
from unambiguous_utm_keys
