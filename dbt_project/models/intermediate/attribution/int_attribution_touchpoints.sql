{#- One row per conversion x touch that can take its credit: the touches of the converting
    person (lead_created) or of the opportunity's people (int_attribution_opportunity_people)
    inside the lookback window [converted_at - lookback, converted_at] (macro
    attribution_lookback_days). Milestones are flagged per conversion on the touch that
    holds them (Marketo Measure's FT / LC / OC / CW); touches at the same instant share a
    milestone, so several touches can carry one flag and one touch several flags:
    - is_first_touch: the earliest touch of the window;
    - is_lead_creation_touch: the last touch at or before the journey's lead creation
      (lead_at; for a lead_created conversion the conversion itself);
    - is_opportunity_creation_touch: the last touch at or before the opportunity's creation
      (opportunity_created and closed_won);
    - is_closed_won_touch: the last touch at or before the close (closed_won only);
    - is_last_touch: the latest touch of the window.
    touch_number orders the journey (ties broken by touch_id, stable across runs). -#}
with conversions as (
    select * from {{ ref('int_attribution_conversions') }}
),

touches as (
    select * from {{ ref('int_attribution_touches') }}
    where person_id is not null
),

conversion_people as (
    select conversion_id, person_id
    from conversions
    where conversion_type = 'lead_created'

    union all

    select conversions.conversion_id, opportunity_people.person_id
    from conversions
    inner join {{ ref('int_attribution_opportunity_people') }} as opportunity_people
        on conversions.opportunity_id = opportunity_people.opportunity_id
    where conversions.conversion_type in ('opportunity_created', 'closed_won')
),

windowed as (
    select
        conversions.conversion_id,
        conversions.conversion_type,
        conversions.converted_at,
        conversions.lead_at,
        conversions.opportunity_created_at,
        conversions.closed_at,
        touches.touch_id,
        touches.touch_at,
        touches.person_id,
        touches.channel,
        touches.campaign,
        touches.campaign_id,
        touches.campaign_key,
        touches.event_type
    from conversions
    inner join conversion_people on conversions.conversion_id = conversion_people.conversion_id
    inner join touches on conversion_people.person_id = touches.person_id
    where touches.touch_at <= conversions.converted_at
      and touches.touch_at >= {{ dbt.dateadd(
            'day', '-1 * ' ~ attribution_lookback_days('conversions.conversion_type'),
            'conversions.converted_at') }}
),

marked as (
    select
        *,
        min(touch_at) over (partition by conversion_id) as first_at,
        max(touch_at) over (partition by conversion_id) as last_at,
        max(case when touch_at <= lead_at then touch_at end)
            over (partition by conversion_id) as lead_creation_at,
        max(case when touch_at <= opportunity_created_at then touch_at end)
            over (partition by conversion_id) as opportunity_creation_at,
        max(case when touch_at <= closed_at then touch_at end)
            over (partition by conversion_id) as closed_won_at,
        row_number() over (partition by conversion_id order by touch_at, touch_id) as touch_number,
        count(*) over (partition by conversion_id) as touches_in_journey
    from windowed
)

select
    {{ dbt.concat(["conversion_id", "'|'", "touch_id"]) }} as touchpoint_id,
    conversion_id,
    conversion_type,
    converted_at,
    touch_id,
    touch_at,
    person_id,
    event_type,
    channel,
    campaign,
    campaign_id,
    campaign_key,
    touch_number,
    touches_in_journey,
    {{ dbt.datediff('touch_at', 'converted_at', 'second') }} / 86400.0 as days_before_conversion,
    touch_at = first_at as is_first_touch,
    coalesce(touch_at = lead_creation_at, false) as is_lead_creation_touch,
    coalesce(
        conversion_type in ('opportunity_created', 'closed_won') and touch_at = opportunity_creation_at,
        false
    ) as is_opportunity_creation_touch,
    coalesce(conversion_type = 'closed_won' and touch_at = closed_won_at, false)
        as is_closed_won_touch,
    touch_at = last_at as is_last_touch
from marked
