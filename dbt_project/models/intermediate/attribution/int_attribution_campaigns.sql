{#- Every campaign a touch can be credited to, with what it cost: ad platform campaigns
    (spend from int_ad_spend_daily) and Salesforce campaigns (ActualCost, converted to JPY
    at the rate valid on the campaign's start date). campaign_key is the join key the
    touches use (see int_attribution_touches): the platform / Salesforce campaign id, and
    name_key the normalised name for touches that only carry a UTM campaign name.
    salesforce_campaign_id: the Salesforce Campaign the campaign's credit is written to (the
    Campaign sync): itself for Salesforce campaigns, and for an ad platform campaign the
    Salesforce campaign of type Advertisement named "<platform> | <campaign name>".
    Salesforce campaigns of type Advertisement mirror ad platform campaigns: their cost is
    left out so ad spend is never counted twice. -#}
with ad_campaigns as (
    select
        campaign_id,
        max(campaign_name) as campaign_name,
        max(ad_platform) as ad_platform,
        max(channel) as channel
    from {{ ref('int_ad_spend_daily') }}
    group by campaign_id
),

sf_campaigns as (
    select * from {{ ref('stg_salesforce__campaigns') }}
),

fx as (
    select * from {{ ref('fx_rates') }}
),

campaign_channels as (
    -- the channel a campaign type stands for, from the same rules the event log uses
    select campaign_type, channel
    from {{ ref('channel_mapping') }}
    where campaign_type is not null
    qualify row_number() over (partition by campaign_type order by rule_priority) = 1
)

select
    ad_campaigns.campaign_id as campaign_key,
    ad_campaigns.campaign_name,
    ad_campaigns.ad_platform as campaign_source,
    ad_campaigns.channel,
    {{ attribution_campaign_key('ad_campaigns.campaign_name') }} as name_key,
    cast(null as date) as cost_date,
    cast(null as double) as cost_jpy,
    mirrors.campaign_id as salesforce_campaign_id
from ad_campaigns
left join (
    select
        {{ attribution_campaign_key('campaign_name') }} as name_key,
        min(campaign_id) as campaign_id
    from sf_campaigns
    where campaign_type = 'Advertisement'
    group by 1
) as mirrors
    on {{ attribution_campaign_key(dbt.concat(["ad_campaigns.ad_platform", "' | '", "ad_campaigns.campaign_name"])) }}
        = mirrors.name_key

union all

select
    sf_campaigns.campaign_id as campaign_key,
    sf_campaigns.campaign_name,
    'salesforce' as campaign_source,
    coalesce(campaign_channels.channel, 'Other') as channel,
    {{ attribution_campaign_key('sf_campaigns.campaign_name') }} as name_key,
    coalesce(sf_campaigns.start_date, cast(sf_campaigns.loaded_at as date)) as cost_date,
    case
        when sf_campaigns.campaign_type = 'Advertisement' then null
        else sf_campaigns.actual_cost * fx.rate_to_jpy
    end as cost_jpy,
    sf_campaigns.campaign_id as salesforce_campaign_id
from sf_campaigns
left join campaign_channels on sf_campaigns.campaign_type = campaign_channels.campaign_type
left join fx
    on coalesce(sf_campaigns.currency_iso_code, 'JPY') = fx.currency
    and coalesce(sf_campaigns.start_date, cast(sf_campaigns.loaded_at as date))
        between fx.valid_from and fx.valid_to
