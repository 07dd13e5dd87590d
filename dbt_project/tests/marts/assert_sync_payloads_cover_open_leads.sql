-- A failure means open Salesforce leads are missing from the Lead sync payload: their
-- identity is not in bridge_person_identities, so sales would not see a score for them.
-- dagster: several upstream models; the check belongs to the one named here.
{{ config(meta={'dagster': {'ref': {'name': 'sync_salesforce__lead'}}}) }}
select leads.lead_id
from {{ ref('stg_salesforce__leads') }} as leads
left join {{ ref('sync_salesforce__lead') }} as payload on leads.lead_id = payload.Id
where not leads.is_converted and payload.Id is null
