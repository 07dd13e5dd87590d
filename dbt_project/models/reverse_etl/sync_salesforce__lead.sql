{#- Payload of the Salesforce Lead sync: one row per open (unconverted) Salesforce lead,
    keyed by its Id, columns named like the Lead custom fields. The sync sends only rows
    with has_consent. -#}
select
    leads.lead_id as Id,
    fields.person_id as Revloop_Person_Id__c,
    fields.score as Revloop_Score__c,
    fields.grade as Revloop_Grade__c,
    fields.mql_date as Revloop_MQL_Date__c,
    fields.first_touch_channel as Revloop_First_Touch_Channel__c,
    fields.last_touch_channel as Revloop_Last_Touch_Channel__c,
    fields.attributed_channel as Revloop_Attributed_Channel__c,
    fields.is_existing_customer as Revloop_Existing_Customer__c,
    fields.has_lost_deal as Revloop_Lost_Deal__c,
    fields.has_consent
from {{ ref('stg_salesforce__leads') }} as leads
inner join {{ ref('bridge_person_identities') }} as bridge
    on bridge.source_system = 'salesforce_lead' and bridge.source_id = leads.lead_id
inner join {{ ref('dim_person_crm_fields') }} as fields on bridge.person_id = fields.person_id
where not leads.is_converted
