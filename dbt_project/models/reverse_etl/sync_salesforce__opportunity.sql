{#- Payload of the Salesforce Opportunity sync: one row per Salesforce opportunity
    created by as_of, keyed by its Id, with the deal alerts of fct_opportunities. Closed
    deals stay in the payload with no days in stage and the alert off, so the CRM never
    keeps a stale "stalled" flag on a deal that has closed. Company data carries no
    personal consent, so has_consent is always true. -#}
select
    opportunity_id as Id,
    cast(days_in_current_stage as {{ type_double() }}) as Revloop_Days_In_Stage__c,
    is_stalled_with_fresh_web_visits as Revloop_Stalled_Web_Visits__c,
    true as has_consent
from {{ ref('fct_opportunities') }}
where created_at <= {{ as_of() }}
