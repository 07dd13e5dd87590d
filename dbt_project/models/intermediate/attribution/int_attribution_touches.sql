{#- One row per touch that can take attribution credit: the touches of
    int_attribution_sessions (web visits collapsed into one touch, single events) with their
    campaign_key, the touch's campaign as a key of int_attribution_campaigns: by the
    event's campaign_id (ad clicks carry the platform campaign id once the event log maps
    gclid -> campaign), else by the Google Ads click_view of its gclid
    (stg_google_ads__clicks), else by the normalised campaign name (UTM campaign), else the
    normalised name itself (a campaign we know no cost of). A table rebuilt every night: a
    late ad campaign or click report re-keys old touches without touching the sessions. -#}
with touches as (
    select * from {{ ref('int_attribution_sessions') }}
),

campaigns as (
    select * from {{ ref('int_attribution_campaigns') }}
),

clicks as (
    select gclid, min(campaign_id) as campaign_id
    from {{ ref('stg_google_ads__clicks') }}
    group by gclid
),

by_name as (
    select name_key, min(campaign_key) as campaign_key
    from campaigns
    where name_key is not null
    group by name_key
)

select
    touches.touch_id,
    touches.subject_id,
    touches.person_id,
    touches.anonymous_id,
    touches.account_id,
    touches.touch_at,
    touches.event_type,
    touches.touch_kind,
    touches.channel,
    touches.campaign,
    touches.campaign_id,
    coalesce(
        by_id.campaign_key,
        by_click.campaign_key,
        by_name.campaign_key,
        {{ attribution_campaign_key('touches.campaign') }}
    ) as campaign_key,
    touches.events_in_touch,
    touches.has_form_submission
from touches
left join (select distinct campaign_key from campaigns) as by_id
    on touches.campaign_id = by_id.campaign_key
left join clicks
    on touches.click_id_type = 'gclid' and touches.click_id = clicks.gclid
left join (select distinct campaign_key from campaigns) as by_click
    on clicks.campaign_id = by_click.campaign_key
left join by_name
    on {{ attribution_campaign_key('touches.campaign') }} = by_name.name_key
