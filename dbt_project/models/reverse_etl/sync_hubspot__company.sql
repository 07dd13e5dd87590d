{#- Payload of the HubSpot company sync: one row per resolved account that has a web
    domain, keyed by revloop_account_id = the stable account_id of identity resolution (it
    survives re-clustering; an id retired by a merge is followed by the sync through
    marts.identity_id_history, see reverse_etl/engine/README.md). HubSpot does not
    de-duplicate API creates by domain: the sync adopts portal companies by domain first.
    Name and domain come from the account's Salesforce account record, else from its
    leads' company and (non-free-mail) domain. -#}
with identities as (
    select * from {{ ref('int_account_identities') }}
),

candidates as (
    select identities.account_id, accounts.account_name as name, accounts.domain, 1 as priority,
           identities.source_id
    from identities
    inner join {{ ref('stg_salesforce__accounts') }} as accounts
        on identities.source_system = 'salesforce_account' and identities.source_id = accounts.account_id

    union all

    select identities.account_id, leads.company_name, leads.website_domain, 2, identities.source_id
    from identities
    inner join {{ ref('stg_salesforce__leads') }} as leads
        on identities.source_system = 'salesforce_lead' and identities.source_id = leads.lead_id

    union all

    select identities.account_id, ma_leads.company_name, ma_leads.website_domain, 3, identities.source_id
    from identities
    inner join {{ ref('stg_marketo__leads') }} as ma_leads
        on identities.source_system = 'marketo_lead'
        and identities.source_id = cast(ma_leads.marketo_lead_id as varchar)
),

picked as (
    select
        account_id,
        arg_min(name, (priority, source_id)) filter (where name is not null) as name,
        arg_min(domain, (priority, source_id)) filter (where domain is not null) as domain
    from candidates
    where account_id is not null
    group by account_id
)

select
    picked.account_id as revloop_account_id,
    picked.domain,
    picked.name,
    ltv.predicted_ltv as revloop_ltv,
    ltv.churn_risk as revloop_churn_risk,
    ltv.churn_risk_score as revloop_churn_risk_score,
    ltv.churn_risk_top_reason as revloop_churn_risk_reason,
    true as has_consent
from picked
inner join {{ ref('fct_account_ltv') }} as ltv on picked.account_id = ltv.account_id
where picked.domain is not null
