{#- One row per conversion attribution credits: 
    - lead_created: a person's first lead creation (event lead_created of fct_events), one
      per person, revenue 0;
    - opportunity_created: a new-business opportunity created (revenue = its amount in
      JPY: the pipeline it adds);
    - closed_won: a new-business opportunity won (revenue = its amount in JPY).
    Everything up to the as-of moment; an opportunity still open has an opportunity_created
    conversion and no closed_won one. Expansions and renewals are not marketing
    conversions. lead_at is the journey's lead creation (for opportunities: the earliest
    lead creation among its people), the moment of the lead-creation milestone. -#}
with lead_events as (
    select person_id, min(occurred_at) as lead_at
    from {{ ref('int_events_resolved') }}
    where event_type = 'lead_created'
      and person_id is not null
      and occurred_at <= {{ as_of() }}
    group by person_id
),

people as (
    select person_id, account_id from {{ ref('int_person_accounts') }}
),

segments as (
    select account_id, segment from {{ ref('int_account_segments') }}
),

opportunities as (
    select *
    from {{ ref('int_opportunities_enriched') }}
    where coalesce(opportunity_type, 'New Business') = 'New Business'
      and created_at <= {{ as_of() }}
),

opportunity_people as (
    select * from {{ ref('int_attribution_opportunity_people') }}
),

opportunity_leads as (
    select opportunity_people.opportunity_id, min(lead_events.lead_at) as lead_at
    from opportunity_people
    inner join lead_events on opportunity_people.person_id = lead_events.person_id
    group by opportunity_people.opportunity_id
),

conversions as (
    select
        {{ dbt.concat(["'lead:'", "lead_events.person_id"]) }} as conversion_id,
        'lead_created' as conversion_type,
        lead_events.lead_at as converted_at,
        cast(0 as double) as revenue,
        lead_events.person_id,
        cast(null as varchar) as opportunity_id,
        people.account_id,
        lead_events.lead_at,
        cast(null as timestamp with time zone) as opportunity_created_at,
        cast(null as timestamp with time zone) as closed_at,
        false as is_open_opportunity
    from lead_events
    left join people on lead_events.person_id = people.person_id

    union all

    select
        {{ dbt.concat(["'opportunity:'", "opportunities.opportunity_id"]) }},
        'opportunity_created',
        opportunities.created_at,
        coalesce(opportunities.amount, 0),
        cast(null as varchar),
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunity_leads.lead_at,
        opportunities.created_at,
        cast(null as timestamp with time zone),
        not (opportunities.is_closed and opportunities.closed_at <= {{ as_of() }})
    from opportunities
    left join opportunity_leads on opportunities.opportunity_id = opportunity_leads.opportunity_id

    union all

    select
        {{ dbt.concat(["'won:'", "opportunities.opportunity_id"]) }},
        'closed_won',
        opportunities.closed_at,
        coalesce(opportunities.amount, 0),
        cast(null as varchar),
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunity_leads.lead_at,
        opportunities.created_at,
        opportunities.closed_at,
        false
    from opportunities
    left join opportunity_leads on opportunities.opportunity_id = opportunity_leads.opportunity_id
    where opportunities.is_won
      and opportunities.closed_at <= {{ as_of() }}
)

select
    conversions.*,
    coalesce(segments.segment, 'unknown') as segment
from conversions
left join segments on conversions.account_id = segments.account_id
