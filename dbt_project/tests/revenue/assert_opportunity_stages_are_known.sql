{{ config(severity='warn') }}
{#- Every stage the OpportunityHistory shows is listed in seed opportunity_stages. A
    stage missing there has no funnel order: its visits count as time in stage but the
    funnel and the qualified pipeline ignore it. Add the new picklist value to the seed
    (warning, not an error: the numbers are still right for the known stages). -#}
select stage_name, count(*) as visits
from {{ ref('int_opportunity_stage_visits') }}
where not is_known_stage
group by stage_name
