{#- The unified event log: one row per dated event from every source, with who (person,
    account, cookie), when (UTC), what (event_type from seed event_types), where from
    (channel from seed channel_mapping, source, medium, campaign, click id) and which
    source row. Rebuilt from staging on every run, so it is reproducible by time; the
    event_id is a hash of (source_system, source_record_id, event_type) and never changes
    for the same source row.

    Channel: every channel_mapping rule whose non-empty conditions all hold matches
    (click id type equal, source / medium regex full match on lower-cased values, campaign
    type equal, event type equal); the matching rule with the lowest rule_priority wins.
    The catch-all rule 999 gives 'Other', so every event gets exactly one channel. -#}
with events as (
    select * from {{ ref('int_events_unioned') }}
),

bridge as (
    select source_system, source_id, person_id from {{ ref('bridge_person_identities') }}
),

account_identities as (
    select source_id, account_id
    from {{ ref('int_account_identities') }}
    where source_system = 'salesforce_account'
),

person_accounts as (
    select * from {{ ref('int_person_accounts') }}
),

rules as (
    select * from {{ ref('channel_mapping') }}
),

event_types as (
    select event_type from {{ ref('event_types') }}
),

identified as (
    select
        md5(concat_ws('|', events.source_system, events.source_record_id, events.event_type))
            as event_id,
        events.*,
        bridge.person_id,
        coalesce(opportunity_account.account_id, person_accounts.account_id) as account_id
    from events
    inner join event_types on events.event_type = event_types.event_type
    left join bridge
        on events.identity_source_system = bridge.source_system
        and events.identity_source_id = bridge.source_id
    left join account_identities as opportunity_account
        on events.salesforce_account_id = opportunity_account.source_id
    left join person_accounts on bridge.person_id = person_accounts.person_id
),

channels as (
    select
        identified.event_id,
        rules.channel
    from identified
    inner join rules
        on (rules.click_id_type is null or rules.click_id_type = identified.click_id_type)
        and (
            rules.source_regex is null
            or regexp_full_match(coalesce(lower(identified.source), ''), rules.source_regex)
        )
        and (
            rules.medium_regex is null
            or regexp_full_match(coalesce(lower(identified.medium), ''), rules.medium_regex)
        )
        and (rules.campaign_type is null or rules.campaign_type = identified.campaign_type)
        and (rules.event_type is null or rules.event_type = identified.event_type)
    qualify row_number() over (partition by identified.event_id order by rules.rule_priority) = 1
)

select
    identified.event_id,
    identified.occurred_at,
    identified.source_timezone,
    identified.event_type,
    identified.person_id,
    identified.account_id,
    identified.anonymous_id,
    channels.channel,
    identified.source,
    identified.medium,
    identified.campaign,
    identified.campaign_id,
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
inner join channels on identified.event_id = channels.event_id
