{#- One row per Salesforce opportunity with the moments lifecycle stages and the event
    log use: created_at; closed_at = the first OpportunityHistory row in a Closed stage,
    else CloseDate at midnight UTC (closed deals only); is_won; opportunity_type (New
    Business when empty). Read from staging so lifecycle never depends on a mart. -#}
with opportunities as (
    select * from {{ ref('stg_salesforce__opportunities') }}
),

closing_moment as (
    select opportunity_id, min(created_at) as closed_at
    from {{ ref('stg_salesforce__opportunity_history') }}
    where {{ regex_matches('lower(stage_name)', "'^closed'") }}
    group by opportunity_id
)

select
    opportunities.opportunity_id,
    opportunities.account_id as salesforce_account_id,
    coalesce(opportunities.opportunity_type, 'New Business') as opportunity_type,
    opportunities.created_at,
    case
        when opportunities.is_closed
            then coalesce(
                closing_moment.closed_at,
                cast(opportunities.close_date as {{ type_timestamptz() }})
            )
    end as closed_at,
    coalesce(opportunities.is_closed, false) as is_closed,
    coalesce(opportunities.is_won, false) as is_won
from opportunities
left join closing_moment on opportunities.opportunity_id = closing_moment.opportunity_id
