{#- One row per journey and conversion type: the journeys mart_attribution_paths counts and
    the markov / shapley credits are computed from.
    - converting journeys: every conversion with at least one touch in its window
      (int_attribution_touchpoints); a conversion without touch has no path (it is
      `unattributed` in fct_attribution);
    - non-converting journeys, in the window of the same length ending at the journey's
      last touch (Fractribution's rule), or at the close for lost deals:
      lead_created: people and unstitched cookies that never became a lead;
      opportunity_created: leads with no new-business opportunity;
      closed_won: new-business opportunities closed lost (open ones are undecided, so
      neither).
    path: the channels of the touches in time order joined by ' > ', consecutive repeats
    collapsed (Fractribution's "exposure" transform): first-order Markov removal effects
    and Shapley channel sets do not change under it, and paths stay readable. -#}
{%- set lookback_days -%}{{ attribution_lookback_days('journeys.conversion_type') }}{%- endset -%}
with touches as (
    select * from {{ ref('int_attribution_touches') }}
),

conversions as (
    select * from {{ ref('int_attribution_conversions') }}
),

opportunity_people as (
    select * from {{ ref('int_attribution_opportunity_people') }}
),

person_segments as (
    select people.person_id, coalesce(segments.segment, 'unknown') as segment
    from {{ ref('int_person_accounts') }} as people
    left join {{ ref('int_account_segments') }} as segments
        on people.account_id = segments.account_id
),

leads as (
    select person_id from conversions where conversion_type = 'lead_created'
),

opportunity_persons as (
    select distinct opportunity_people.person_id
    from opportunity_people
    inner join conversions
        on opportunity_people.opportunity_id = conversions.opportunity_id
        and conversions.conversion_type = 'opportunity_created'
),

lost as (
    select
        opportunities.opportunity_id,
        opportunities.closed_at,
        coalesce(segments.segment, 'unknown') as segment
    from {{ ref('int_opportunities_enriched') }} as opportunities
    left join {{ ref('int_account_segments') }} as segments
        on opportunities.account_id = segments.account_id
    where coalesce(opportunities.opportunity_type, 'New Business') = 'New Business'
      and opportunities.is_closed
      and not opportunities.is_won
      and opportunities.closed_at <= {{ as_of() }}
),

subject_ends as (
    select subject_id, max(touch_at) as ended_at
    from touches
    group by subject_id
),

non_converting as (
    -- never a lead
    select
        {{ dbt.concat(["'lead_created|'", "subject_ends.subject_id"]) }} as journey_id,
        'lead_created' as conversion_type,
        subject_ends.subject_id,
        subject_ends.ended_at
    from subject_ends
    left join leads on subject_ends.subject_id = leads.person_id
    where leads.person_id is null

    union all

    -- a lead with no opportunity
    select
        {{ dbt.concat(["'opportunity_created|'", "subject_ends.subject_id"]) }},
        'opportunity_created',
        subject_ends.subject_id,
        subject_ends.ended_at
    from subject_ends
    inner join leads on subject_ends.subject_id = leads.person_id
    left join opportunity_persons on subject_ends.subject_id = opportunity_persons.person_id
    where opportunity_persons.person_id is null
),

non_converting_touches as (
    select
        journeys.journey_id,
        journeys.conversion_type,
        false as is_conversion,
        cast(0 as double) as revenue,
        coalesce(person_segments.segment, 'unknown') as segment,
        touches.touch_id,
        touches.touch_at,
        touches.channel
    from non_converting as journeys
    inner join touches on journeys.subject_id = touches.subject_id
    left join person_segments on journeys.subject_id = person_segments.person_id
    where touches.touch_at >= {{ dbt.dateadd('day', '-1 * ' ~ lookback_days, 'journeys.ended_at') }}

    union all

    select
        {{ dbt.concat(["'closed_won|'", "lost.opportunity_id"]) }},
        'closed_won',
        false,
        cast(0 as double),
        lost.segment,
        touches.touch_id,
        touches.touch_at,
        touches.channel
    from lost
    inner join opportunity_people on lost.opportunity_id = opportunity_people.opportunity_id
    inner join touches on opportunity_people.person_id = touches.person_id
    where touches.touch_at <= lost.closed_at
      and touches.touch_at >= {{ dbt.dateadd('day', '-1 * ' ~ attribution_lookback_days("'closed_won'"),
                                             'lost.closed_at') }}
),

converting_touches as (
    select
        touchpoints.conversion_id as journey_id,
        touchpoints.conversion_type,
        true as is_conversion,
        conversions.revenue,
        conversions.segment,
        touchpoints.touch_id,
        touchpoints.touch_at,
        touchpoints.channel
    from {{ ref('int_attribution_touchpoints') }} as touchpoints
    inner join conversions on touchpoints.conversion_id = conversions.conversion_id
),

journey_touches as (
    select * from converting_touches
    union all
    select * from non_converting_touches
),

exposures as (
    -- consecutive touches of one channel are one exposure
    select
        *,
        lag(channel) over (partition by journey_id order by touch_at, touch_id) as previous_channel
    from journey_touches
)

select
    journey_id,
    conversion_type,
    is_conversion,
    max(revenue) as revenue,
    max(segment) as segment,
    count(*) as touches,
    min(touch_at) as first_touch_at,
    max(touch_at) as last_touch_at,
    {{ dbt.listagg("case when previous_channel is null or previous_channel <> channel then channel end",
                   "' > '", "order by touch_at, touch_id") }} as path
from exposures
group by journey_id, conversion_type, is_conversion
