{#- Payload of the Salesforce Lead sync: one row per open (unconverted) Salesforce lead,
    keyed by its Id, columns named like the Lead custom fields. The sync sends only rows
    with has_consent. Revloop_Attributed_Channel__c: the person's channel under var
    attribution_crm_model (marts.fct_attributed_channels via dim_person_crm_fields).
    Several leads of one person: Revloop_Person_Id__c is a unique external id in the org,
    so it goes on one lead only, the survivor; every other open lead of the person carries
    Revloop_Duplicate_Of__c, a pointer RevOps merges with Salesforce's own tools, and the
    same scores. The survivor is a converted lead of the person if there is one (it is
    read-only and may still hold the id), pointed at as the Contact it was converted into
    (convert the duplicate into that contact); else the oldest open lead (CreatedDate, then
    Id), pointed at by its Id. -#}
with person_leads as (
    select
        leads.lead_id,
        leads.is_converted,
        leads.converted_contact_id,
        leads.created_at,
        bridge.person_id
    from {{ ref('stg_salesforce__leads') }} as leads
    inner join {{ ref('bridge_person_identities') }} as bridge
        on bridge.source_system = 'salesforce_lead' and bridge.source_id = leads.lead_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by person_id
            order by is_converted desc, created_at asc nulls last, lead_id asc
        ) as person_rank
    from person_leads
),

survivors as (
    select
        person_id,
        lead_id as survivor_lead_id,
        case when is_converted then coalesce(converted_contact_id, lead_id) else lead_id end
            as survivor_pointer
    from ranked
    where person_rank = 1
)

select
    ranked.lead_id as Id,
    case when ranked.person_rank = 1 then fields.person_id end as Revloop_Person_Id__c,
    case when ranked.person_rank > 1 then survivors.survivor_pointer end as Revloop_Duplicate_Of__c,
    fields.score as Revloop_Score__c,
    fields.grade as Revloop_Grade__c,
    fields.mql_date as Revloop_MQL_Date__c,
    fields.first_touch_channel as Revloop_First_Touch_Channel__c,
    fields.last_touch_channel as Revloop_Last_Touch_Channel__c,
    fields.attributed_channel as Revloop_Attributed_Channel__c,
    fields.is_existing_customer as Revloop_Existing_Customer__c,
    fields.has_lost_deal as Revloop_Lost_Deal__c,
    fields.has_consent
from ranked
inner join survivors on ranked.person_id = survivors.person_id
inner join {{ ref('dim_person_crm_fields') }} as fields on ranked.person_id = fields.person_id
where not ranked.is_converted
