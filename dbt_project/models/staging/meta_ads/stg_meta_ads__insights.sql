{#- Meta Ads daily insights at ad-set grain (day x ad set within its campaign: the export's
    level=adset), spend in the account currency; sum by campaign_id for campaign totals. A
    restated day is a new delivery of its file and replaces the earlier one. -#}
with source as (
    select * from {{ source('meta_ads', 'meta_ads__insights') }} where {{ is_current_delivery() }}
    {{ newest_version('date_start, campaign_id, adset_id') }}
),

renamed as (
    select
        cast(date_start as date) as spend_date,
        account_id as ad_account_id,
        upper(account_currency) as currency,
        campaign_id,
        campaign_name,
        adset_id,
        adset_name,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(spend as double) as spend,
        coalesce(list_sum(list_transform(
            list_filter(actions, lambda a: a.action_type = 'lead'),
            lambda a: try_cast(a.value as double)
        )), 0) as platform_leads,
        _loaded_at as loaded_at
    from source
)

select
    md5(concat_ws('|', spend_date, campaign_id, adset_id)) as insight_id,
    *
from renamed
