{#- Opportunity milestones as events. The person of an opportunity event is its primary
    contact role (else the lead converted into it); the account is the opportunity's.
    - opportunity_created: CreatedDate, every opportunity type (opportunity_type says which)
    - stage_change: every OpportunityHistory row whose stage differs from the previous row
    - quote_sent: first history row in a Proposal / Quote stage
    - closing: closed_won (new business), expansion (expansion won), renewal (renewal won),
      churn (renewal lost), closed_lost (other losses); dated by the history row that closed
      it, else by CloseDate at midnight UTC. -#}
with opportunities as (
    select * from {{ ref('stg_salesforce__opportunities') }}
),

history as (
    select * from {{ ref('stg_salesforce__opportunity_history') }}
),

contact_roles as (
    select * from {{ ref('stg_salesforce__opportunity_contact_roles') }}
),

leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

opportunity_person as (
    select
        opportunities.opportunity_id,
        coalesce(primary_role.contact_id, converted.lead_id) as person_source_id,
        case
            when primary_role.contact_id is not null then 'salesforce_contact'
            when converted.lead_id is not null then 'salesforce_lead'
        end as person_source_system
    from opportunities
    left join (
        select opportunity_id, contact_id
        from contact_roles
        qualify row_number() over (
            partition by opportunity_id order by is_primary desc, created_at, contact_id
        ) = 1
    ) as primary_role on opportunities.opportunity_id = primary_role.opportunity_id
    left join (
        select converted_opportunity_id, lead_id
        from leads
        where converted_opportunity_id is not null
        qualify row_number() over (partition by converted_opportunity_id order by lead_id) = 1
    ) as converted on opportunities.opportunity_id = converted.converted_opportunity_id
),

ordered_history as (
    select
        history.*,
        lag(history.stage_name) over (
            partition by history.opportunity_id order by history.created_at, history.opportunity_history_id
        ) as previous_stage_name
    from history
),

stage_changes as (
    select
        opportunity_history_id as source_record_id,
        'stage_change' as event_type,
        opportunity_id,
        created_at as occurred_at,
        to_json({'from_stage': previous_stage_name, 'to_stage': stage_name}) as event_properties
    from ordered_history
    where previous_stage_name is distinct from stage_name
),

quotes as (
    select
        opportunity_history_id as source_record_id,
        'quote_sent' as event_type,
        opportunity_id,
        created_at as occurred_at,
        to_json({'stage': stage_name}) as event_properties
    from ordered_history
    where regexp_matches(lower(stage_name), 'proposal|quote|見積')
    qualify row_number() over (partition by opportunity_id order by created_at, opportunity_history_id) = 1
),

closing_moment as (
    select opportunity_id, min(created_at) as closed_at
    from history
    where regexp_matches(lower(stage_name), '^closed')
    group by opportunity_id
),

closings as (
    select
        'close:' || opportunities.opportunity_id as source_record_id,
        case
            when opportunities.is_won and opportunities.opportunity_type = 'Renewal' then 'renewal'
            when opportunities.is_won and opportunities.opportunity_type = 'Expansion' then 'expansion'
            when opportunities.is_won then 'closed_won'
            when opportunities.opportunity_type = 'Renewal' then 'churn'
            else 'closed_lost'
        end as event_type,
        opportunities.opportunity_id,
        coalesce(closing_moment.closed_at, cast(opportunities.close_date as timestamptz)) as occurred_at,
        to_json({'stage': opportunities.stage_name, 'amount': opportunities.amount,
                 'currency': opportunities.currency_iso_code}) as event_properties
    from opportunities
    left join closing_moment on opportunities.opportunity_id = closing_moment.opportunity_id
    where opportunities.is_closed
),

created as (
    select
        'create:' || opportunity_id as source_record_id,
        'opportunity_created' as event_type,
        opportunity_id,
        created_at as occurred_at,
        to_json({'stage': stage_name, 'lead_source': lead_source}) as event_properties
    from opportunities
),

unioned as (
    select * from created
    union all
    select * from stage_changes
    union all
    select * from quotes
    union all
    select * from closings
)

select
    'salesforce' as source_system,
    unioned.source_record_id,
    unioned.event_type,
    unioned.occurred_at,
    'UTC' as source_timezone,
    opportunity_person.person_source_system as identity_source_system,
    opportunity_person.person_source_id as identity_source_id,
    cast(null as varchar) as anonymous_id,
    opportunities.account_id as salesforce_account_id,
    cast(null as varchar) as source,
    cast(null as varchar) as medium,
    cast(null as varchar) as campaign,
    opportunities.campaign_id,
    cast(null as varchar) as campaign_type,
    cast(null as varchar) as click_id,
    cast(null as varchar) as click_id_type,
    cast(null as varchar) as page_location,
    false as is_pricing_page,
    false as is_comparison_page,
    opportunities.owner_id,
    opportunities.opportunity_type,
    json_merge_patch(unioned.event_properties, to_json({'opportunity_id': unioned.opportunity_id}))
        as event_properties
from unioned
inner join opportunities on unioned.opportunity_id = opportunities.opportunity_id
left join opportunity_person on unioned.opportunity_id = opportunity_person.opportunity_id
where unioned.occurred_at is not null
