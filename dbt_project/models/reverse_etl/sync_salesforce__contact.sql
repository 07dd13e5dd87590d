{#- Payload of the Salesforce Contact sync: one row per Salesforce contact, keyed by its
    Id, the same Revloop fields as the Lead payload. The sync sends only rows with
    has_consent. -#}
select
    contacts.contact_id as Id,
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
from {{ ref('stg_salesforce__contacts') }} as contacts
inner join {{ ref('bridge_person_identities') }} as bridge
    on bridge.source_system = 'salesforce_contact' and bridge.source_id = contacts.contact_id
inner join {{ ref('dim_person_crm_fields') }} as fields on bridge.person_id = fields.person_id
