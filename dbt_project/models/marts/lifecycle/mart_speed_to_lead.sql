{#- Speed to lead by trigger month and owner: leads to work, median minutes to the first
    sales touch (worked leads only), share of all leads answered within var sla_minutes
    (unworked leads count as missed), and unworked leads (every MQL must be worked).
    Leads without an owner are grouped under owner_id 'unassigned'. -#}
select
    cast(date_trunc('month', trigger_at) as date) as month,
    coalesce(owner_id, 'unassigned') as owner_id,
    count(*) as leads,
    median(response_minutes) as median_response_minutes,
    round(count(*) filter (where is_within_sla) / count(*), 4) as share_within_sla,
    count(*) filter (where is_unworked) as unworked_leads
from {{ ref('fct_lead_responses') }}
group by 1, 2
