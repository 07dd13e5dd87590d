{#- Speed to lead by trigger month and owner: leads to work, median minutes to the first
    sales touch (worked leads only), share of all leads answered within var sla_minutes
    (unworked leads count as missed), and unworked leads (every MQL must be worked).
    Leads without an owner are grouped under owner_id 'unassigned'; owner_team is the
    owner's Salesforce Department (mart_speed_to_lead_by_team cuts by team). -#}
select
    cast({{ dbt.date_trunc('month', 'trigger_at') }} as date) as month,
    coalesce(owner_id, 'unassigned') as owner_id,
    max(owner_name) as owner_name,
    max(owner_team) as owner_team,
    count(*) as leads,
    {{ median('response_minutes') }} as median_response_minutes,
    round(count(case when is_within_sla then 1 end) * 1.0 / count(*), 4) as share_within_sla,
    count(case when is_unworked then 1 end) as unworked_leads
from {{ ref('fct_lead_responses') }}
group by 1, 2
