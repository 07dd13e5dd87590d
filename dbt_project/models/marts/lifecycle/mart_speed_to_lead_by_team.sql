{#- Speed to lead by trigger month and team (the owner's Salesforce Department; 'unassigned'
    when the lead has no owner or the owner no department): the same measures as
    mart_speed_to_lead, computed from the leads themselves (a median of medians is no
    median). -#}
select
    cast({{ dbt.date_trunc('month', 'trigger_at') }} as date) as month,
    coalesce(owner_team, 'unassigned') as team,
    count(*) as leads,
    count(distinct owner_id) as owners,
    {{ median('response_minutes') }} as median_response_minutes,
    round(count(case when is_within_sla then 1 end) * 1.0 / count(*), 4) as share_within_sla,
    count(case when is_unworked then 1 end) as unworked_leads
from {{ ref('fct_lead_responses') }}
group by 1, 2
