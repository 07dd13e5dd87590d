{#- One row per person with an attributed channel: what the CRM shows as "attributed
    channel" (Salesforce Lead / Contact Revloop_Attributed_Channel__c), under the model of
    var attribution_crm_model (default w_shaped). The person's furthest conversion type
    counts (closed_won, else opportunity_created, else lead_created), its latest conversion
    of that type (the person's own lead, or an opportunity the person takes part in: var
    attribution_opportunity_scope), and in it the channel with the most credit (ties:
    alphabetical). A conversion without touches gives no attributed channel. -#}
{%- set crm_model = attribution_crm_model() -%}
with credits as (
    -- rounded so float noise in the last bits never flips a tie between runs
    select conversion_id, conversion_type, converted_at, channel, round(sum(credit), 9) as credit
    from {{ ref('fct_attribution') }}
    where model = '{{ crm_model }}'
      and not is_unattributed
    group by conversion_id, conversion_type, converted_at, channel
),

top_channel as (
    select *
    from credits
    qualify row_number() over (partition by conversion_id order by credit desc, channel) = 1
),

conversions as (
    select * from {{ ref('int_attribution_conversions') }}
),

person_conversions as (
    select person_id, conversion_id from conversions where conversion_type = 'lead_created'

    union all

    select opportunity_people.person_id, conversions.conversion_id
    from conversions
    inner join {{ ref('int_attribution_opportunity_people') }} as opportunity_people
        on conversions.opportunity_id = opportunity_people.opportunity_id
    where conversions.conversion_type in ('opportunity_created', 'closed_won')
)

select
    person_conversions.person_id,
    top_channel.channel as attributed_channel,
    '{{ crm_model }}' as attribution_model,
    top_channel.conversion_id,
    top_channel.conversion_type,
    top_channel.credit as channel_credit
from person_conversions
inner join top_channel on person_conversions.conversion_id = top_channel.conversion_id
qualify row_number() over (
    partition by person_conversions.person_id
    order by
        case top_channel.conversion_type
            when 'closed_won' then 1 when 'opportunity_created' then 2 else 3
        end,
        top_channel.converted_at desc,
        top_channel.conversion_id
) = 1
