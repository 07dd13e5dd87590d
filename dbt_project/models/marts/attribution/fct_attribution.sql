{#- Attribution credit, one row per conversion x touch x model, for the nine models of seed
    attribution_models (weights documented there, windows in var attribution_lookback_days,
    touchpoints and milestones in int_attribution_touchpoints). Per conversion and model
    the credits sum to 1 and the revenue credits to the conversion's revenue.

    Position-based and single-touch models (first_touch, last_touch, linear, u_shaped,
    w_shaped, full_path): a touch holding a milestone gets that milestone's weight (shared
    with the touches tied at the same instant, summed when it holds several); the
    `other` weight is shared equally by the touches holding no weighted milestone that lie
    between the first and the last weighted milestone of the journey (Marketo Measure's
    intermediary touches; every touch when the model weights no milestone). Weights of
    milestones the journey does not have (no opportunity yet, a deal still open, no touch
    between) are shared pro rata by the parts it has: the raw weights are normalised to 1.
    time_decay: weight 2^(-days before conversion / var attribution_half_life_days),
    normalised. markov: a channel of the journey's path gets its removal effect
    (mart_attribution_removal_effects) over the sum of the path's channels' effects;
    shapley: the path's credit_share (mart_attribution_shapley_values); both split equally
    over the channel's touches in the journey.
    A conversion with no touch in its window gets one `unattributed` row per model
    (channel 'Unattributed', credit 1), so every total reconciles to the conversions. -#}
with touchpoints as (
    select * from {{ ref('int_attribution_touchpoints') }}
),

conversions as (
    select * from {{ ref('int_attribution_conversions') }}
),

models as (
    select * from {{ ref('attribution_models') }}
),

journeys as (
    select journey_id as conversion_id, path
    from {{ ref('int_attribution_journeys') }}
    where is_conversion
),

milestone_counts as (
    select
        conversion_id,
        sum(case when is_first_touch then 1 else 0 end) as first_touches,
        sum(case when is_lead_creation_touch then 1 else 0 end) as lead_creation_touches,
        sum(case when is_opportunity_creation_touch then 1 else 0 end) as opportunity_creation_touches,
        sum(case when is_closed_won_touch then 1 else 0 end) as closed_won_touches,
        sum(case when is_last_touch then 1 else 0 end) as last_touches
    from touchpoints
    group by conversion_id
),

channel_touches as (
    select conversion_id, channel, count(*) as channel_touches
    from touchpoints
    group by conversion_id, channel
),

rule_weights as (
    select
        touchpoints.*,
        models.model,
        models.family,
        models.other_weight,
          (case when touchpoints.is_first_touch then models.first_touch_weight / milestone_counts.first_touches else 0 end)
        + (case when touchpoints.is_lead_creation_touch then models.lead_creation_weight / milestone_counts.lead_creation_touches else 0 end)
        + (case when touchpoints.is_opportunity_creation_touch then models.opportunity_creation_weight / milestone_counts.opportunity_creation_touches else 0 end)
        + (case when touchpoints.is_closed_won_touch then models.closed_won_weight / milestone_counts.closed_won_touches else 0 end)
        + (case when touchpoints.is_last_touch then models.last_touch_weight / milestone_counts.last_touches else 0 end)
            as milestone_weight,
        (touchpoints.is_first_touch and models.first_touch_weight > 0)
        or (touchpoints.is_lead_creation_touch and models.lead_creation_weight > 0)
        or (touchpoints.is_opportunity_creation_touch and models.opportunity_creation_weight > 0)
        or (touchpoints.is_closed_won_touch and models.closed_won_weight > 0)
        or (touchpoints.is_last_touch and models.last_touch_weight > 0) as holds_milestone
    from touchpoints
    inner join milestone_counts on touchpoints.conversion_id = milestone_counts.conversion_id
    cross join models
    where models.family in ('single_touch', 'position_based')
       or models.model = 'linear'
),

rule_span as (
    select
        *,
        max(case when holds_milestone then touch_at end)
            over (partition by conversion_id, model) as last_milestone_at
    from rule_weights
),

rule_other as (
    select
        *,
        not holds_milestone
            and (last_milestone_at is null or touch_at <= last_milestone_at) as is_intermediary
    from rule_span
),

rule_raw as (
    select
        *,
        milestone_weight
        + case
            when is_intermediary then other_weight / sum(case when is_intermediary then 1 else 0 end)
                over (partition by conversion_id, model)
            else 0
        end as raw_weight
    from rule_other
),

decayed as (
    select
        touchpoints.*,
        'time_decay' as model,
        power(0.5, touchpoints.days_before_conversion / {{ var('attribution_half_life_days', 7) }})
            as raw_weight
    from touchpoints
),

markov as (
    select
        touchpoints.*,
        'markov' as model,
        coalesce(effects.removal_effect, 0) / channel_touches.channel_touches as raw_weight
    from touchpoints
    inner join channel_touches
        on touchpoints.conversion_id = channel_touches.conversion_id
        and touchpoints.channel = channel_touches.channel
    left join {{ ref('mart_attribution_removal_effects') }} as effects
        on touchpoints.conversion_type = effects.conversion_type
        and touchpoints.channel = effects.channel
),

shapley as (
    select
        touchpoints.*,
        'shapley' as model,
        coalesce(shapley_values.credit_share, 0) / channel_touches.channel_touches as raw_weight
    from touchpoints
    inner join channel_touches
        on touchpoints.conversion_id = channel_touches.conversion_id
        and touchpoints.channel = channel_touches.channel
    inner join journeys on touchpoints.conversion_id = journeys.conversion_id
    left join {{ ref('mart_attribution_shapley_values') }} as shapley_values
        on touchpoints.conversion_type = shapley_values.conversion_type
        and journeys.path = shapley_values.path
        and touchpoints.channel = shapley_values.channel
),

{%- set touch_columns = [
    'conversion_id', 'conversion_type', 'converted_at', 'touch_id', 'touch_at', 'person_id',
    'event_type', 'channel', 'campaign', 'campaign_id', 'campaign_key', 'touch_number',
    'touches_in_journey', 'days_before_conversion', 'is_first_touch', 'is_lead_creation_touch',
    'is_opportunity_creation_touch', 'is_closed_won_touch', 'is_last_touch', 'model', 'raw_weight'
] %}

weighted as (
    {%- for part in ['rule_raw', 'decayed', 'markov', 'shapley'] %}
    select {{ touch_columns | join(', ') }} from {{ part }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

normalised as (
    select
        *,
        case
            when sum(raw_weight) over (partition by conversion_id, model) > 0
                then raw_weight / sum(raw_weight) over (partition by conversion_id, model)
            else 1.0 / count(*) over (partition by conversion_id, model)
        end as credit
    from weighted
),

attributed as (
    select
        normalised.conversion_id,
        normalised.conversion_type,
        normalised.converted_at,
        normalised.model,
        normalised.touch_id as event_id,
        normalised.touch_at,
        normalised.person_id,
        normalised.event_type,
        normalised.channel,
        normalised.campaign,
        normalised.campaign_id,
        normalised.campaign_key,
        normalised.touch_number,
        normalised.touches_in_journey,
        normalised.days_before_conversion,
        normalised.is_first_touch,
        normalised.is_lead_creation_touch,
        normalised.is_opportunity_creation_touch,
        normalised.is_closed_won_touch,
        normalised.is_last_touch,
        false as is_unattributed,
        normalised.credit
    from normalised
),

unattributed as (
    select
        conversions.conversion_id,
        conversions.conversion_type,
        conversions.converted_at,
        models.model,
        cast(null as varchar) as event_id,
        cast(null as timestamp with time zone) as touch_at,
        conversions.person_id,
        cast(null as varchar) as event_type,
        'Unattributed' as channel,
        cast(null as varchar) as campaign,
        cast(null as varchar) as campaign_id,
        cast(null as varchar) as campaign_key,
        cast(null as bigint) as touch_number,
        cast(0 as bigint) as touches_in_journey,
        cast(null as double) as days_before_conversion,
        false as is_first_touch,
        false as is_lead_creation_touch,
        false as is_opportunity_creation_touch,
        false as is_closed_won_touch,
        false as is_last_touch,
        true as is_unattributed,
        cast(1.0 as double) as credit
    from conversions
    cross join models
    where not exists (
        select 1 from touchpoints where touchpoints.conversion_id = conversions.conversion_id
    )
),

unioned as (
    select * from attributed
    union all
    select * from unattributed
)

select
    {{ dbt.concat(["unioned.conversion_id", "'|'", "unioned.model", "'|'",
                   "coalesce(unioned.event_id, 'unattributed')"]) }} as attribution_id,
    unioned.conversion_id,
    unioned.conversion_type,
    unioned.converted_at,
    conversions.opportunity_id,
    conversions.segment,
    unioned.model,
    unioned.event_id,
    unioned.touch_at,
    unioned.person_id,
    unioned.event_type,
    unioned.channel,
    unioned.campaign,
    unioned.campaign_id,
    unioned.campaign_key,
    unioned.touch_number,
    unioned.touches_in_journey,
    unioned.days_before_conversion,
    unioned.is_first_touch,
    unioned.is_lead_creation_touch,
    unioned.is_opportunity_creation_touch,
    unioned.is_closed_won_touch,
    unioned.is_last_touch,
    unioned.is_unattributed,
    unioned.credit,
    conversions.revenue,
    unioned.credit * conversions.revenue as revenue_credit
from unioned
inner join conversions on unioned.conversion_id = conversions.conversion_id
