{#- Payload of the Salesforce Campaign sync: one row per Salesforce campaign, keyed by its
    Id. Credit comes from fct_attribution under the model of var attribution_crm_model
    (default w_shaped): every touch's revenue credit goes to the Salesforce campaign of its
    campaign (int_attribution_campaigns.salesforce_campaign_id: the campaign itself, or the
    Advertisement campaign mirroring an ad platform campaign).
    Revloop_Attributed_Pipeline__c = revenue credit (JPY) of opportunity_created
    conversions (new business created by as_of); Revloop_Attributed_Revenue__c = of
    closed_won conversions. Touches whose campaign matches no Salesforce campaign (organic,
    direct, UTM-only campaigns) credit none, so a campaign's figures are its own share. -#}
with campaigns as (
    select * from {{ ref('stg_salesforce__campaigns') }}
),

campaign_map as (
    select campaign_key, min(salesforce_campaign_id) as salesforce_campaign_id
    from {{ ref('int_attribution_campaigns') }}
    where salesforce_campaign_id is not null
    group by campaign_key
),

credited as (
    select
        campaign_map.salesforce_campaign_id as campaign_id,
        attribution.conversion_type,
        attribution.revenue_credit
    from {{ ref('fct_attribution') }} as attribution
    inner join campaign_map on attribution.campaign_key = campaign_map.campaign_key
    where attribution.model = '{{ attribution_crm_model() }}'
      and attribution.conversion_type in ('opportunity_created', 'closed_won')
)

select
    campaigns.campaign_id as Id,
    -- rounded to the currency's cents: a float sum's last bits depend on the order the
    -- engine adds in, and must not make an unchanged campaign look changed to the sync
    round(coalesce(sum(case when credited.conversion_type = 'opportunity_created'
                            then credited.revenue_credit end), 0), 2) as Revloop_Attributed_Pipeline__c,
    round(coalesce(sum(case when credited.conversion_type = 'closed_won'
                            then credited.revenue_credit end), 0), 2) as Revloop_Attributed_Revenue__c,
    true as has_consent
from campaigns
left join credited on campaigns.campaign_id = credited.campaign_id
group by campaigns.campaign_id
