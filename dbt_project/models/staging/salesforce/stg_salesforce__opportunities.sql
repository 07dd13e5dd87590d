{#- Salesforce opportunities: newest version per Id, deletions removed. Amount stays in
    its own currency (currency_iso_code); marts convert with the fx_rates seed. -#}
with source as (
    select * from {{ source('salesforce', 'salesforce__opportunity') }} where {{ is_current_delivery() }}
    {{ newest_version('id', 'systemmodstamp') }}
),

renamed as (
    select
        id as opportunity_id,
        nullif(accountid, '') as account_id,
        name as opportunity_name,
        type as opportunity_type,
        stagename as stage_name,
        cast(amount as double) as amount,
        upper(currencyisocode) as currency_iso_code,
        cast(closedate as date) as close_date,
        coalesce(isclosed, false) as is_closed,
        coalesce(iswon, false) as is_won,
        cast(probability as double) as probability,
        nullif(trim(leadsource), '') as lead_source,
        nullif(campaignid, '') as campaign_id,
        ownerid as owner_id,
        cast(createddate as timestamptz) as created_at,
        cast(systemmodstamp as timestamptz) as system_modstamp_at,
        coalesce(isdeleted, false) as is_deleted,
        _loaded_at as loaded_at
    from source
)

select * exclude (is_deleted) from renamed
where not is_deleted
