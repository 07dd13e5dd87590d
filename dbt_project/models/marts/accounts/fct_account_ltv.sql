{#- One row per resolved account: what it has paid, what it is expected to pay, and how
    likely it is to leave. Customer status, ARR and revenue come from the one definition
    of customer (int_account_customer_status).
    - acquisition_channel: channel of the earliest marketing touch (seed event_types) of
      anyone of the account, up to its first won deal (up to as_of for a prospect).
    - predicted_ltv (JPY, customers): current_arr x var gross_margin x
      expected_remaining_lifetime_years; 0 for a churned account (no expected future
      value); null for a prospect.
    - expected_remaining_lifetime_years: from the Kaplan-Meier curve of the account's
      segment (mart_retention_curve; the `All` curve when the segment has fewer than
      var km_min_churn_events churns): E = integral of S(t) dt from a to a + H, divided by
      S(a), with a = the tenure of the current spell and H = var ltv_horizon_years; past
      the curve's last tenure S decays with the curve's constant hazard
      (S(t) = S(t_max) x exp(-hazard x (t - t_max))). The horizon keeps a segment without
      churns from an infinite lifetime.
    - lifetime_value: gross margin earned so far (revenue_to_date x gross_margin) plus
      predicted_ltv, for every account that was ever a customer.
    - churn_risk_score (customers only): sum of the points (seed churn_risk_rules) of the
      reasons that hold, capped at 100: no_recent_touches (no engagement - marketing or
      sales touch, or a web / product event such as a login - in var churn_quiet_days),
      engagement_decline (engagement in the last var churn_engagement_window_days below
      var churn_engagement_decline_share of the window before, with some left),
      renewal_close (the paid term ends within var churn_renewal_window_days, or has
      ended and the renewal is overdue), lost_expansion (an expansion closed lost within
      var churn_lost_expansion_days). churn_risk: high at >= var churn_risk_high_score,
      medium at >= var churn_risk_medium_score, else low. churn_risk_reasons: the reasons
      with their numbers, highest points first, in words a salesperson reads;
      churn_risk_top_reason: the first of them. Every window counts calendar days (UTC)
      up to the as-of day, so the score moves at midnight, not between two runs of a day,
      and the texts name dates rather than "in N days", so a reason that still holds does
      not make the CRM record change every night. -#}
{%- set as_of = as_of() -%}
{%- set as_of_date = 'cast(' ~ as_of ~ ' as date)' -%}
{%- set gross_margin = var('gross_margin', 0.8) -%}
{%- set horizon_days = var('ltv_horizon_years', 5) * 365.25 -%}
{%- set quiet_days = var('churn_quiet_days', 90) -%}
{%- set window_days = var('churn_engagement_window_days', 90) -%}
{%- set decline_share = var('churn_engagement_decline_share', 0.5) -%}
{%- set renewal_days = var('churn_renewal_window_days', 90) -%}
{%- set expansion_days = var('churn_lost_expansion_days', 180) -%}
with accounts as (
    select distinct account_id
    from {{ ref('int_account_identities') }}
    where account_id is not null
),

status as (
    select * from {{ ref('int_account_customer_status') }}
),

account_segments as (
    select account_id, employee_band, segment from {{ ref('int_account_segments') }}
),

events as (
    select
        events.account_id,
        events.occurred_at,
        events.channel,
        events.event_id,
        cast(events.occurred_at as date) as event_date,
        event_types.is_marketing_touch,
        event_types.is_marketing_touch or event_types.is_sales_touch
            or event_types.event_category = 'web' as is_engagement
    from {{ ref('fct_events') }} as events
    inner join {{ ref('event_types') }} as event_types
        on events.event_type = event_types.event_type
    where events.account_id is not null
      and events.occurred_at <= {{ as_of }}
),

acquisition as (
    select account_id, channel as acquisition_channel
    from (
        select
            events.account_id,
            events.channel,
            row_number() over (
                partition by events.account_id order by events.occurred_at, events.event_id
            ) as touch_rank
        from events
        left join status on events.account_id = status.account_id
        where events.is_marketing_touch
          and events.occurred_at <= coalesce(status.customer_since_at, {{ as_of }})
    ) as ranked
    where touch_rank = 1
),

engagement as (
    select
        account_id,
        max(occurred_at) as last_engaged_at,
        sum(
            case when event_date > {{ dbt.dateadd('day', -window_days, as_of_date) }} then 1 else 0 end
        ) as recent_engagement_events,
        sum(
            case
                when event_date > {{ dbt.dateadd('day', -2 * window_days, as_of_date) }}
                    and event_date <= {{ dbt.dateadd('day', -window_days, as_of_date) }}
                    then 1
                else 0
            end
        ) as prior_engagement_events
    from events
    where is_engagement
    group by account_id
),

lost_expansions as (
    select account_id, max(closed_at) as lost_expansion_at
    from {{ ref('fct_opportunities') }}
    where opportunity_type = 'Expansion'
      and is_closed and not is_won
      and closed_at <= {{ as_of }}
      and cast(closed_at as date) > {{ dbt.dateadd('day', -expansion_days, as_of_date) }}
    group by account_id
),

curves as (
    select * from {{ ref('mart_retention_curve') }}
),

{#- The step function S(t) as intervals [tenure, next_tenure) with the area under S up to
    each interval's start; a start point (0, 1) when the curve has no row at tenure 0. -#}
curve_points as (
    select segment, tenure_days, survival from curves
    union all
    select segment, 0, 1.0
    from curves
    group by segment
    having min(tenure_days) > 0
),

intervals as (
    select
        *,
        coalesce(sum(survival * (next_tenure_days - tenure_days)) over (
            partition by segment order by tenure_days
            rows between unbounded preceding and 1 preceding
        ), 0) as area_before
    from (
        select
            *,
            lead(tenure_days) over (partition by segment order by tenure_days) as next_tenure_days
        from curve_points
    ) as stepped
),

curve_fits as (
    select
        segment,
        max(hazard_per_day) as hazard_per_day,
        max(annual_churn_rate) as annual_churn_rate,
        {{ dbt.bool_or('has_enough_events') }} as has_enough_events
    from curves
    group by segment
),

customers as (
    select
        status.*,
        account_segments.segment,
        case
            when curve_fits.has_enough_events then account_segments.segment else 'All'
        end as curve_segment
    from status
    left join account_segments on status.account_id = account_segments.account_id
    left join curve_fits on account_segments.segment = curve_fits.segment
),

{#- area(x) = integral of S from 0 to x; S(x); for x at the account's tenure a and at
    a + horizon. Past the last tenure: S(t_max) x exp(-h (x - t_max)). -#}
lifetimes as (
    select
        customers.account_id,
        customers.curve_segment,
        fits.annual_churn_rate,
        {%- for point, x in [('start', 'customers.tenure_days'), ('end', 'customers.tenure_days + ' ~ horizon_days)] %}
        case
            when at_{{ point }}.next_tenure_days is not null
                then at_{{ point }}.area_before
                    + at_{{ point }}.survival * ({{ x }} - at_{{ point }}.tenure_days)
            when coalesce(fits.hazard_per_day, 0) > 0
                then at_{{ point }}.area_before + at_{{ point }}.survival
                    * (1 - exp(-fits.hazard_per_day * ({{ x }} - at_{{ point }}.tenure_days)))
                    / fits.hazard_per_day
            else at_{{ point }}.area_before
                + at_{{ point }}.survival * ({{ x }} - at_{{ point }}.tenure_days)
        end as area_{{ point }},
        {%- endfor %}
        case
            when at_start.next_tenure_days is not null then at_start.survival
            else at_start.survival * exp(
                -coalesce(fits.hazard_per_day, 0) * (customers.tenure_days - at_start.tenure_days)
            )
        end as survival_at_tenure
    from customers
    inner join curve_fits as fits on customers.curve_segment = fits.segment
    inner join intervals as at_start
        on customers.curve_segment = at_start.segment
        and customers.tenure_days >= at_start.tenure_days
        and (at_start.next_tenure_days is null or customers.tenure_days < at_start.next_tenure_days)
    inner join intervals as at_end
        on customers.curve_segment = at_end.segment
        and customers.tenure_days + {{ horizon_days }} >= at_end.tenure_days
        and (
            at_end.next_tenure_days is null
            or customers.tenure_days + {{ horizon_days }} < at_end.next_tenure_days
        )
    where customers.is_customer
),

risk_inputs as (
    select
        accounts.account_id,
        engagement.last_engaged_at,
        coalesce(engagement.recent_engagement_events, 0) as recent_engagement_events,
        coalesce(engagement.prior_engagement_events, 0) as prior_engagement_events,
        lost_expansions.lost_expansion_at,
        status.term_ends_at,
        {{ dbt.datediff(as_of, 'status.term_ends_at', 'day') }} as days_to_term_end,
        status.is_customer
    from accounts
    left join status on accounts.account_id = status.account_id
    left join engagement on accounts.account_id = engagement.account_id
    left join lost_expansions on accounts.account_id = lost_expansions.account_id
),

reasons as (
    select
        risk_inputs.account_id,
        rules.reason_code,
        rules.points,
{%- set text = dbt.type_string() %}
{%- set last_engaged = "cast(cast(risk_inputs.last_engaged_at as date) as " ~ text ~ ")" %}
{%- set term_end = "cast(cast(risk_inputs.term_ends_at as date) as " ~ text ~ ")" %}
        case rules.reason_code
            when 'no_recent_touches' then
                case
                    when risk_inputs.last_engaged_at is null
                        then {{ dbt.concat(['rules.reason_label', "': no engagement on record'"]) }}
                    else {{ dbt.concat([
                        'rules.reason_label', "': none in " ~ quiet_days ~ " days (last '",
                        last_engaged, "')'"]) }}
                end
            when 'engagement_decline' then {{ dbt.concat([
                'rules.reason_label', "': '",
                'cast(risk_inputs.recent_engagement_events as ' ~ text ~ ')',
                "' touches in the last " ~ window_days ~ " days vs '",
                'cast(risk_inputs.prior_engagement_events as ' ~ text ~ ')',
                "' in the " ~ window_days ~ " days before'"]) }}
            when 'renewal_close' then
                case
                    when risk_inputs.days_to_term_end < 0
                        then {{ dbt.concat([
                            'rules.reason_label', "': term ended '", term_end,
                            "', renewal overdue'"]) }}
                    else {{ dbt.concat([
                        'rules.reason_label', "': term ends '", term_end,
                        "', no renewal won yet'"]) }}
                end
            when 'lost_expansion' then {{ dbt.concat([
                'rules.reason_label', "': expansion lost on '",
                "cast(cast(risk_inputs.lost_expansion_at as date) as " ~ text ~ ")"]) }}
        end as reason_text
    from risk_inputs
    inner join {{ ref('churn_risk_rules') }} as rules
        on case rules.reason_code
            when 'no_recent_touches' then
                risk_inputs.last_engaged_at is null
                or cast(risk_inputs.last_engaged_at as date)
                    <= {{ dbt.dateadd('day', -quiet_days, as_of_date) }}
            when 'engagement_decline' then
                risk_inputs.recent_engagement_events > 0
                and risk_inputs.recent_engagement_events
                    < {{ decline_share }} * risk_inputs.prior_engagement_events
                and cast(risk_inputs.last_engaged_at as date)
                    > {{ dbt.dateadd('day', -quiet_days, as_of_date) }}
            when 'renewal_close' then risk_inputs.days_to_term_end <= {{ renewal_days }}
            when 'lost_expansion' then risk_inputs.lost_expansion_at is not null
            else false
        end
    where risk_inputs.is_customer
),

ranked_reasons as (
    select
        *,
        row_number() over (partition by account_id order by points desc, reason_code) as reason_rank
    from reasons
),

risk as (
    select
        account_id,
        least(sum(points), 100) as churn_risk_score,
        {{ dbt.listagg('reason_text', "'; '", 'order by reason_rank') }} as churn_risk_reasons,
        max(case when reason_rank = 1 then reason_text end) as churn_risk_top_reason,
        max(case when reason_rank = 1 then reason_code end) as churn_risk_top_reason_code
    from ranked_reasons
    group by account_id
)

select
    accounts.account_id,
    acquisition.acquisition_channel,
    coalesce(status.customer_status, 'prospect') as customer_status,
    coalesce(status.is_customer, false) as is_customer,
    status.customer_since_at,
    status.churned_at,
    status.churn_type,
    status.term_ends_at,
    coalesce(account_segments.segment, 'Unknown') as segment,
    coalesce(account_segments.employee_band, 'Unknown') as employee_band,
    coalesce(status.revenue_to_date, 0) as revenue_to_date,
    coalesce(status.current_arr, 0) as current_arr,
    case when status.is_customer then status.tenure_days end as tenure_days,
    lifetimes.curve_segment as retention_curve_segment,
    lifetimes.annual_churn_rate,
    (lifetimes.area_end - lifetimes.area_start) / nullif(lifetimes.survival_at_tenure, 0) / 365.25
        as expected_remaining_lifetime_years,
    case
        when status.is_customer
            then round(status.current_arr * {{ gross_margin }}
                * (lifetimes.area_end - lifetimes.area_start)
                / nullif(lifetimes.survival_at_tenure, 0) / 365.25, 0)
        when status.account_id is not null then 0
    end as predicted_ltv,
    case
        when status.is_customer
            then round(status.revenue_to_date * {{ gross_margin }}
                + status.current_arr * {{ gross_margin }}
                * (lifetimes.area_end - lifetimes.area_start)
                / nullif(lifetimes.survival_at_tenure, 0) / 365.25, 0)
        when status.account_id is not null then round(status.revenue_to_date * {{ gross_margin }}, 0)
    end as lifetime_value,
    case when status.is_customer then coalesce(risk.churn_risk_score, 0) end as churn_risk_score,
    case
        when not coalesce(status.is_customer, false) then null
        when coalesce(risk.churn_risk_score, 0) >= {{ var('churn_risk_high_score', 50) }} then 'high'
        when coalesce(risk.churn_risk_score, 0) >= {{ var('churn_risk_medium_score', 25) }} then 'medium'
        else 'low'
    end as churn_risk,
    risk.churn_risk_reasons,
    risk.churn_risk_top_reason,
    risk.churn_risk_top_reason_code,
    risk_inputs.last_engaged_at,
    cast(risk_inputs.recent_engagement_events as integer) as recent_engagement_events,
    cast(risk_inputs.prior_engagement_events as integer) as prior_engagement_events
from accounts
left join status on accounts.account_id = status.account_id
left join account_segments on accounts.account_id = account_segments.account_id
left join acquisition on accounts.account_id = acquisition.account_id
left join lifetimes on accounts.account_id = lifetimes.account_id
left join risk on accounts.account_id = risk.account_id
left join risk_inputs on accounts.account_id = risk_inputs.account_id
