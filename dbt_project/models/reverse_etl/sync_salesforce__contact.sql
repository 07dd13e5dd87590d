{#- Payload of the Salesforce Contact sync: one row per Salesforce contact, keyed by its
    Id, the same Revloop fields as the Lead payload. The sync sends only rows with
    has_consent.
    Several contacts of one person: Revloop_Person_Id__c (a unique external id in the org)
    goes on the survivor only, the oldest contact (CreatedDate, then Id); the others carry
    Revloop_Duplicate_Of__c = the survivor's Id (RevOps merges them with Salesforce's merge)
    and the same scores. Revloop_Attributed_Channel__c: the person's channel under var
    attribution_crm_model (marts.fct_attributed_channels via dim_person_crm_fields). -#}
with person_contacts as (
    select
        contacts.contact_id,
        bridge.person_id,
        row_number() over (
            partition by bridge.person_id
            order by contacts.created_at asc nulls last, contacts.contact_id asc
        ) as person_rank,
        first_value(contacts.contact_id) over (
            partition by bridge.person_id
            order by contacts.created_at asc nulls last, contacts.contact_id asc
        ) as survivor_id
    from {{ ref('stg_salesforce__contacts') }} as contacts
    inner join {{ ref('bridge_person_identities') }} as bridge
        on bridge.source_system = 'salesforce_contact' and bridge.source_id = contacts.contact_id
)

select
    person_contacts.contact_id as Id,
    case when person_contacts.person_rank = 1 then fields.person_id end as Revloop_Person_Id__c,
    case when person_contacts.person_rank > 1 then person_contacts.survivor_id end
        as Revloop_Duplicate_Of__c,
    fields.score as Revloop_Score__c,
    fields.grade as Revloop_Grade__c,
    fields.mql_date as Revloop_MQL_Date__c,
    fields.first_touch_channel as Revloop_First_Touch_Channel__c,
    fields.last_touch_channel as Revloop_Last_Touch_Channel__c,
    fields.attributed_channel as Revloop_Attributed_Channel__c,
    fields.is_existing_customer as Revloop_Existing_Customer__c,
    fields.has_lost_deal as Revloop_Lost_Deal__c,
    fields.has_consent
from person_contacts
inner join {{ ref('dim_person_crm_fields') }} as fields
    on person_contacts.person_id = fields.person_id
