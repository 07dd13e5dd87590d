{#- Which people took part in which opportunity: every contact role of the opportunity
    and the lead converted into it, resolved to person_id through the identity bridge. -#}
with bridge as (
    select * from {{ ref('int_person_identities') }}
),

contact_roles as (
    select opportunity_id, contact_id from {{ ref('stg_salesforce__opportunity_contact_roles') }}
),

converted_leads as (
    select converted_opportunity_id as opportunity_id, lead_id
    from {{ ref('stg_salesforce__leads') }}
    where converted_opportunity_id is not null
),

links as (
    select bridge.person_id, contact_roles.opportunity_id
    from contact_roles
    inner join bridge
        on bridge.source_system = 'salesforce_contact' and bridge.source_id = contact_roles.contact_id

    union

    select bridge.person_id, converted_leads.opportunity_id
    from converted_leads
    inner join bridge
        on bridge.source_system = 'salesforce_lead' and bridge.source_id = converted_leads.lead_id
)

select distinct person_id, opportunity_id
from links
