{{ config(materialized='view') }}
{#- The unified event log before publication: the stable event base (int_events_base:
    every source's events with event_id and channel, no identity) minus the cross-source
    duplicates (int_event_duplicates), joined at read time to who (person through the
    current identity lookup, account) and to the ad campaign its click id or UTM names.
    A view: a re-clustering of identities or a late ad campaign rewrites no stored event;
    each reader pays a few hash joins against small lookups. fct_events publishes it; the
    scoring and lifecycle models read it here, so the DAG never runs intermediate -> mart ->
    intermediate.

    Campaign: the source's own campaign id (Marketo program / smart campaign, Salesforce
    campaign) when it has one, else the ad campaign its click id or UTM names
    (int_ad_campaign_keys: Google Ads gclid -> campaign.id; utm_campaign -> Meta, LinkedIn
    or Google campaign); campaign_system says whose id it is. -#}
with events as (
    select * from {{ ref('int_events_base') }}
),

duplicates as (
    select event_id from {{ ref('int_event_duplicates') }}
),

people as (
    select source_system, source_id, person_id from {{ ref('int_person_source_ids') }}
),

account_identities as (
    select source_id, account_id
    from {{ ref('int_account_identities') }}
    where source_system = 'salesforce_account'
),

person_accounts as (
    select * from {{ ref('int_person_accounts') }}
),

ad_keys as (
    select * from {{ ref('int_ad_campaign_keys') }}
)

select
    events.event_id,
    events.occurred_at,
    events.source_timezone,
    events.event_type,
    people.person_id,
    coalesce(opportunity_account.account_id, person_accounts.account_id) as account_id,
    events.anonymous_id,
    events.channel,
    events.source,
    events.medium,
    events.campaign,
    coalesce(events.campaign_id, click_campaign.campaign_id, utm_campaign.campaign_id)
        as campaign_id,
    case
        when events.campaign_id is not null and events.source_system = 'marketo' then 'marketo'
        when events.campaign_id is not null then 'salesforce'
        when click_campaign.campaign_id is not null then click_campaign.ad_platform
        else utm_campaign.ad_platform
    end as campaign_system,
    events.campaign_type,
    events.click_id,
    events.click_id_type,
    events.page_location,
    events.is_pricing_page,
    events.is_comparison_page,
    events.owner_id,
    events.opportunity_type,
    events.source_system,
    events.source_record_id,
    events.identity_source_system,
    events.identity_source_id,
    events.event_properties
from events
left join duplicates on events.event_id = duplicates.event_id
left join people
    on events.identity_source_system = people.source_system
    and events.identity_source_id = people.source_id
left join account_identities as opportunity_account
    on events.salesforce_account_id = opportunity_account.source_id
left join person_accounts on people.person_id = person_accounts.person_id
left join ad_keys as click_campaign
    on click_campaign.key_type = 'gclid'
    and events.click_id_type = 'gclid'
    and events.click_id = click_campaign.key_value
left join ad_keys as utm_campaign
    on utm_campaign.key_type = 'utm_campaign'
    and events.campaign_key = utm_campaign.key_value
where duplicates.event_id is null
