{#- The unified event log before publication: every source's events (int_events_unioned)
    minus the cross-source duplicates (int_event_duplicates), with who (person through the
    identity lookup, account), where from (channel, ad campaign) and a stable event_id.
    fct_events publishes it; the scoring and lifecycle models read it here, so the DAG
    never runs intermediate -> mart -> intermediate.

    Channel (seed channel_mapping): an event matches a rule when every non-empty condition
    holds (click id type equal, source / medium regex full match on lower-cased values,
    campaign type equal, event type equal); the matching rule with the lowest
    rule_priority wins, the catch-all 999 gives 'Other'. The rules are evaluated once per
    DISTINCT combination of those five values (a few thousand), never per event, and the
    result is joined back: linear in the events.

    Campaign: the source's own campaign id (Marketo program / smart campaign, Salesforce
    campaign) when it has one, else the ad campaign its click id or UTM names
    (int_ad_campaign_keys: Google Ads gclid -> campaign.id; utm_campaign -> Meta, LinkedIn
    or Google campaign); campaign_system says whose id it is. -#}
with events as (
    select * from {{ ref('int_events_unioned') }}
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

event_types as (
    select event_type from {{ ref('event_types') }}
),

ad_keys as (
    select * from {{ ref('int_ad_campaign_keys') }}
),

keyed as (
    select
        {{ event_id('events.source_system', 'events.source_record_id', 'events.event_type') }}
            as event_id,
        events.*,
        lower(events.source) as source_key,
        lower(events.medium) as medium_key
    from events
    inner join event_types on events.event_type = event_types.event_type
),

identified as (
    select
        keyed.*,
        people.person_id,
        coalesce(opportunity_account.account_id, person_accounts.account_id) as account_id,
        case
            when keyed.campaign_id is not null and keyed.source_system = 'marketo' then 'marketo'
            when keyed.campaign_id is not null then 'salesforce'
            when click_campaign.campaign_id is not null then click_campaign.ad_platform
            else utm_campaign.ad_platform
        end as campaign_system,
        coalesce(keyed.campaign_id, click_campaign.campaign_id, utm_campaign.campaign_id)
            as resolved_campaign_id
    from keyed
    left join duplicates on keyed.event_id = duplicates.event_id
    left join people
        on keyed.identity_source_system = people.source_system
        and keyed.identity_source_id = people.source_id
    left join account_identities as opportunity_account
        on keyed.salesforce_account_id = opportunity_account.source_id
    left join person_accounts on people.person_id = person_accounts.person_id
    left join ad_keys as click_campaign
        on click_campaign.key_type = 'gclid'
        and keyed.click_id_type = 'gclid'
        and keyed.click_id = click_campaign.key_value
    left join ad_keys as utm_campaign
        on utm_campaign.key_type = 'utm_campaign'
        and {{ utm_key('keyed.campaign') }} = utm_campaign.key_value
    where duplicates.event_id is null
),

combinations as (
    -- the channel rules see only these five values: classify each combination once
    select distinct click_id_type, source_key, medium_key, campaign_type, event_type
    from identified
),

rules as (
    select * from {{ ref('channel_mapping') }}
),

classified as (
    select
        combinations.*,
        rules.channel
    from combinations
    inner join rules
        on (rules.click_id_type is null or rules.click_id_type = combinations.click_id_type)
        and (
            rules.source_regex is null
            or {{ regex_full_match("coalesce(combinations.source_key, '')", 'rules.source_regex') }}
        )
        and (
            rules.medium_regex is null
            or {{ regex_full_match("coalesce(combinations.medium_key, '')", 'rules.medium_regex') }}
        )
        and (rules.campaign_type is null or rules.campaign_type = combinations.campaign_type)
        and (rules.event_type is null or rules.event_type = combinations.event_type)
    qualify row_number() over (
        partition by combinations.click_id_type, combinations.source_key,
            combinations.medium_key, combinations.campaign_type, combinations.event_type
        order by rules.rule_priority
    ) = 1
)

select
    identified.event_id,
    identified.occurred_at,
    identified.source_timezone,
    identified.event_type,
    identified.person_id,
    identified.account_id,
    identified.anonymous_id,
    classified.channel,
    identified.source,
    identified.medium,
    identified.campaign,
    identified.resolved_campaign_id as campaign_id,
    identified.campaign_system,
    identified.campaign_type,
    identified.click_id,
    identified.click_id_type,
    identified.page_location,
    identified.is_pricing_page,
    identified.is_comparison_page,
    identified.owner_id,
    identified.opportunity_type,
    identified.source_system,
    identified.source_record_id,
    identified.identity_source_system,
    identified.identity_source_id,
    identified.event_properties
from identified
inner join classified
    on identified.click_id_type is not distinct from classified.click_id_type
    and identified.source_key is not distinct from classified.source_key
    and identified.medium_key is not distinct from classified.medium_key
    and identified.campaign_type is not distinct from classified.campaign_type
    and identified.event_type = classified.event_type
