{#- Payload of the HubSpot contact sync: one row per e-mail address (HubSpot's unique
    contact key), the same numbers as the Salesforce payloads, property names as the
    HubSpot custom properties. The address is the person's normalised e-mail from the
    most authoritative record (Salesforce contact, then lead, then Marketo lead); when
    two people share an address the one with the lowest person_id wins. -#}
with emails as (
    select bridge.person_id, contacts.email_normalized as email, 1 as priority
    from {{ ref('bridge_person_identities') }} as bridge
    inner join {{ ref('stg_salesforce__contacts') }} as contacts
        on bridge.source_system = 'salesforce_contact' and bridge.source_id = contacts.contact_id

    union all

    select bridge.person_id, leads.email_normalized, 2
    from {{ ref('bridge_person_identities') }} as bridge
    inner join {{ ref('stg_salesforce__leads') }} as leads
        on bridge.source_system = 'salesforce_lead' and bridge.source_id = leads.lead_id

    union all

    select bridge.person_id, ma_leads.email_normalized, 3
    from {{ ref('bridge_person_identities') }} as bridge
    inner join {{ ref('stg_marketo__leads') }} as ma_leads
        on bridge.source_system = 'marketo_lead'
        and bridge.source_id = cast(ma_leads.marketo_lead_id as varchar)
),

person_email as (
    select person_id, arg_min(email, (priority, email)) as email
    from emails
    where email is not null
    group by person_id
),

one_per_email as (
    select email, min(person_id) as person_id
    from person_email
    group by email
)

select
    one_per_email.email,
    fields.person_id as revloop_person_id,
    fields.score as revloop_score,
    fields.grade as revloop_grade,
    fields.mql_date as revloop_mql_date,
    fields.first_touch_channel as revloop_first_touch_channel,
    fields.is_existing_customer as revloop_existing_customer,
    fields.has_lost_deal as revloop_lost_deal,
    fields.has_consent
from one_per_email
inner join {{ ref('dim_person_crm_fields') }} as fields
    on one_per_email.person_id = fields.person_id
