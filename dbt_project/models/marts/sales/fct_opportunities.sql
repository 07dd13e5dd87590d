{#- One row per Salesforce opportunity: the enriched deal (int_opportunities_enriched:
    JPY amount, revloop type, closed_at, stage facts from the history) with who sells it,
    to which segment, from which channel, and the two CRM alerts.
    - owner / team: the owner's Salesforce User name and Department.
    - segment: seed segments band of the account's employee count (dim_accounts);
      Unknown without one.
    - first_touch_channel: channel of the earliest marketing touch (seed event_types) at
      or before the creation of the opportunity by one of its people (contact roles and
      the converted lead, int_person_opportunities), else by anyone of its account.
    - attributed_channel: the channel with the most credit for the deal's
      opportunity_created conversion in marts.fct_attribution under var
      attribution_crm_model (default w_shaped; ties: alphabetical), the model the CRM sees;
      deals that are no attribution conversion (expansions, renewals) or have no touch in
      the window fall back to the first-touch channel.
    - days_in_current_stage: calendar days (UTC) from the day the open deal entered its
      current stage to the as-of day (what Salesforce users compute as TODAY() - date;
      it moves at midnight, not every second, so a re-run the same day syncs nothing). is_stalled: longer than the stage's stalled_after_days (seed
      opportunity_stages). recent_web_visit_days: calendar days with a web visit (page view,
      web visit, download) by anyone of the account among the var fresh_web_visit_days
      days up to the as-of day. is_stalled_with_fresh_web_visits: both - the deal is stuck but the customer
      is reading our site, worth a call. -#}
{%- set as_of = as_of() -%}
{%- set as_of_date = 'cast(' ~ as_of ~ ' as date)' -%}
{%- set fresh_days = var('fresh_web_visit_days', 7) -%}
with opportunities as (
    select * from {{ ref('int_opportunities_enriched') }}
),

users as (
    select user_id, user_name, department from {{ ref('stg_salesforce__users') }}
),

accounts as (
    select account_id, employee_count from {{ ref('dim_accounts') }}
),

segments as (
    select account_id, employee_band, segment from {{ ref('int_account_segments') }}
),

stage_rows as (
    select
        opportunity_id,
        sum(case when is_skipped then 1 else 0 end) as skipped_stage_count
    from {{ ref('fct_opportunity_stages') }}
    group by opportunity_id
),

touch_events as (
    select events.event_id, events.person_id, events.account_id, events.occurred_at,
           events.channel
    from {{ ref('fct_events') }} as events
    inner join {{ ref('event_types') }} as event_types
        on events.event_type = event_types.event_type
    where event_types.is_marketing_touch
      and events.occurred_at <= {{ as_of }}
),

person_touches as (
    select
        links.opportunity_id,
        touch_events.channel,
        row_number() over (
            partition by links.opportunity_id
            order by touch_events.occurred_at, touch_events.event_id
        ) as touch_rank
    from {{ ref('int_person_opportunities') }} as links
    inner join opportunities on links.opportunity_id = opportunities.opportunity_id
    inner join touch_events
        on links.person_id = touch_events.person_id
        and touch_events.occurred_at <= opportunities.created_at
),

account_touches as (
    select
        opportunities.opportunity_id,
        touch_events.channel,
        row_number() over (
            partition by opportunities.opportunity_id
            order by touch_events.occurred_at, touch_events.event_id
        ) as touch_rank
    from opportunities
    inner join touch_events
        on opportunities.account_id = touch_events.account_id
        and touch_events.occurred_at <= opportunities.created_at
),

web_visits as (
    select
        events.account_id,
        count(distinct case
            when cast(events.occurred_at as date) > {{ dbt.dateadd('day', -fresh_days, as_of_date) }}
                then cast(events.occurred_at as date)
        end) as recent_web_visit_days,
        max(events.occurred_at) as last_web_visit_at
    from {{ ref('fct_events') }} as events
    inner join {{ ref('event_types') }} as event_types
        on events.event_type = event_types.event_type
    where event_types.event_category = 'web'
      and event_types.is_marketing_touch
      and events.account_id is not null
      and events.occurred_at <= {{ as_of }}
    group by events.account_id
),

attributed as (
    select conversions.opportunity_id, credits.channel
    from (
        select conversion_id, channel, round(sum(credit), 9) as credit
        from {{ ref('fct_attribution') }}
        where model = '{{ attribution_crm_model() }}'
          and conversion_type = 'opportunity_created'
          and not is_unattributed
        group by conversion_id, channel
    ) as credits
    inner join {{ ref('int_attribution_conversions') }} as conversions
        on credits.conversion_id = conversions.conversion_id
    qualify row_number() over (
        partition by conversions.opportunity_id order by credits.credit desc, credits.channel
    ) = 1
),

enriched as (
    select
        opportunities.*,
        attributed.channel as attributed_model_channel,
        users.user_name as owner_name,
        users.department as team,
        accounts.employee_count,
        coalesce(person_touches.channel, account_touches.channel) as first_touch_channel,
        case
            when not opportunities.is_closed
                then {{ dbt.datediff('opportunities.current_stage_entered_at', as_of, 'day') }}
        end as open_days_in_current_stage,
        coalesce(web_visits.recent_web_visit_days, 0) as recent_web_visit_days,
        web_visits.last_web_visit_at,
        coalesce(stage_rows.skipped_stage_count, 0) as skipped_stage_count
    from opportunities
    left join users on opportunities.owner_id = users.user_id
    left join accounts on opportunities.account_id = accounts.account_id
    left join person_touches
        on opportunities.opportunity_id = person_touches.opportunity_id
        and person_touches.touch_rank = 1
    left join account_touches
        on opportunities.opportunity_id = account_touches.opportunity_id
        and account_touches.touch_rank = 1
    left join web_visits on opportunities.account_id = web_visits.account_id
    left join stage_rows on opportunities.opportunity_id = stage_rows.opportunity_id
    left join attributed on opportunities.opportunity_id = attributed.opportunity_id
),

flagged as (
    select
        enriched.*,
        coalesce(segments.employee_band, 'Unknown') as employee_band,
        coalesce(segments.segment, 'Unknown') as segment,
        coalesce(
            enriched.open_days_in_current_stage > enriched.stalled_after_days, false
        ) as is_stalled
    from enriched
    left join segments on enriched.account_id = segments.account_id
)

select
    opportunity_id,
    account_id,
    salesforce_account_id,
    opportunity_name,
    created_at,
    closed_at,
    close_date,
    amount,
    amount_original,
    currency,
    rate_to_jpy,
    is_closed,
    is_won,
    sales_cycle_days,
    opportunity_type,
    opportunity_type_raw,
    stage_name,
    probability,
    owner_id,
    owner_name,
    coalesce(team, 'Unknown') as team,
    lead_source,
    campaign_id,
    employee_band,
    segment,
    first_touch_channel,
    coalesce(attributed_model_channel, first_touch_channel) as attributed_channel,
    qualified_at,
    qualified_at is not null as is_qualified,
    current_stage_entered_at,
    open_days_in_current_stage as days_in_current_stage,
    cast(stage_visit_count as integer) as stage_visit_count,
    cast(regression_count as integer) as regression_count,
    cast(skipped_stage_count as integer) as skipped_stage_count,
    has_stage_history,
    is_stalled,
    cast(recent_web_visit_days as integer) as recent_web_visit_days,
    last_web_visit_at,
    is_stalled and recent_web_visit_days > 0 as is_stalled_with_fresh_web_visits
from flagged
