{#- The few person-level numbers written back to the CRM (one row per person), shared by
    the Salesforce lead / contact and HubSpot contact payloads so every CRM shows the same
    values. A mart (it reads the scoring, lifecycle and attribution marts; intermediate
    models never read marts). attributed_channel: the person's channel under var
    attribution_crm_model (marts.fct_attributed_channels; null without an attributed touch).
    existing_customer: the person's account is a customer (the one definition,
    int_account_customer_status); lost_deal: the person's or
    the account's new-business opportunities were lost (and the account is no customer).
    has_consent: no record of the person opted out of e-mail / unsubscribed, and no
    unsubscribe event: nothing is written for people who said no. -#}
with bridge as (
    select * from {{ ref('int_person_source_ids') }}
),

people as (
    select distinct person_id from bridge
),

opt_outs as (
    select bridge.person_id
    from bridge
    inner join {{ ref('stg_salesforce__leads') }} as leads
        on bridge.source_system = 'salesforce_lead' and bridge.source_id = leads.lead_id
    where leads.has_opted_out_of_email

    union

    select bridge.person_id
    from bridge
    inner join {{ ref('stg_salesforce__contacts') }} as contacts
        on bridge.source_system = 'salesforce_contact' and bridge.source_id = contacts.contact_id
    where contacts.has_opted_out_of_email

    union

    select bridge.person_id
    from bridge
    inner join {{ ref('stg_marketo__leads') }} as ma_leads
        on bridge.source_system = 'marketo_lead'
        and bridge.source_id = cast(ma_leads.marketo_lead_id as {{ dbt.type_string() }})
    where ma_leads.is_unsubscribed

    union

    select person_id
    from {{ ref('fct_events') }}
    where event_type = 'unsubscribe' and person_id is not null
),

account_lost as (
    select account_id
    from {{ ref('fct_opportunities') }}
    where account_id is not null
      and coalesce(opportunity_type, 'New Business') = 'New Business'
      and is_closed and not is_won
    group by account_id
)

select
    people.person_id,
    person_accounts.account_id,
    scores.score,
    scores.grade,
    cast(stages.mql_at as date) as mql_date,
    stages.current_stage,
    touches.first_touch_channel,
    touches.last_touch_channel,
    attributed.attributed_channel,
    coalesce(ltv.is_customer, false) as is_existing_customer,
    coalesce(
        stages.current_stage = 'lost'
        or (account_lost.account_id is not null and not coalesce(ltv.is_customer, false)),
        false
    ) as has_lost_deal,
    opt_outs.person_id is null as has_consent
from people
left join {{ ref('int_person_accounts') }} as person_accounts
    on people.person_id = person_accounts.person_id
left join {{ ref('fct_lead_scores') }} as scores on people.person_id = scores.person_id
left join {{ ref('fct_lifecycle_stages') }} as stages on people.person_id = stages.person_id
left join {{ ref('int_person_touches') }} as touches on people.person_id = touches.person_id
left join {{ ref('int_account_customer_status') }} as ltv
    on person_accounts.account_id = ltv.account_id
left join {{ ref('fct_attributed_channels') }} as attributed
    on people.person_id = attributed.person_id
left join account_lost on person_accounts.account_id = account_lost.account_id
left join opt_outs on people.person_id = opt_outs.person_id
