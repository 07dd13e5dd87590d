{#- Payload of the Salesforce Campaign sync: one row per Salesforce campaign, keyed by its
    Id, with first-touch campaign credit (this first version): each new-business
    opportunity credits 100 % of its amount (JPY) to one campaign, the campaign of the
    earliest marketing touch of its people (contact roles, converted lead) that names a
    Salesforce campaign (by Id, or by campaign name = UTM campaign, case-insensitive),
    else the opportunity's own Primary Campaign Source (CampaignId).
    Revloop_Attributed_Pipeline__c = credited amounts of all such opportunities created
    by as_of; Revloop_Attributed_Revenue__c = of those won. -#}
with campaigns as (
    select * from {{ ref('stg_salesforce__campaigns') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where coalesce(opportunity_type, 'New Business') = 'New Business'
      and created_at <= {{ as_of() }}
),

campaign_touches as (
    select
        links.opportunity_id,
        events.occurred_at,
        events.event_id,
        campaigns.campaign_id
    from {{ ref('int_person_opportunities') }} as links
    inner join opportunities on links.opportunity_id = opportunities.opportunity_id
    inner join {{ ref('fct_events') }} as events on links.person_id = events.person_id
    inner join {{ ref('event_types') }} as event_types
        on events.event_type = event_types.event_type and event_types.is_marketing_touch
    inner join campaigns
        on events.campaign_id = campaigns.campaign_id
        or lower(events.campaign) = lower(campaigns.campaign_name)
    where events.occurred_at <= opportunities.created_at
),

first_touch as (
    select opportunity_id, arg_min(campaign_id, (occurred_at, event_id)) as campaign_id
    from campaign_touches
    group by opportunity_id
),

credited as (
    select
        coalesce(first_touch.campaign_id, opportunities.campaign_id) as campaign_id,
        opportunities.amount,
        opportunities.is_won
    from opportunities
    left join first_touch on opportunities.opportunity_id = first_touch.opportunity_id
)

select
    campaigns.campaign_id as Id,
    coalesce(sum(credited.amount), 0) as Revloop_Attributed_Pipeline__c,
    coalesce(sum(credited.amount) filter (where credited.is_won), 0) as Revloop_Attributed_Revenue__c,
    true as has_consent
from campaigns
left join credited on campaigns.campaign_id = credited.campaign_id
group by campaigns.campaign_id
