{#- Salesforce campaign membership as events (the offline touches sales and events teams
    record in the CRM):
    - webinar_registration: a member of a Webinar campaign, when the member was created;
    - webinar_attendance: a Webinar member who responded (status Attended or
      HasResponded), on FirstRespondedDate (a date: midnight UTC), else the campaign's
      start date;
    - event_attendance: a Trade Show / Event campaign member who responded.
    Members of Advertisement / Email / Content campaigns are left out: the ad click, the
    form fill and the e-mail click that made them members are already events. The same
    webinar registration or attendance recorded by Marketo (program status, 104) is one
    real-world action: the duplicate is dropped by int_event_duplicates (seed
    event_deduplication: Marketo's precise timestamp wins). -#}
with members as (
    select * from {{ ref('stg_salesforce__campaign_members') }}
),

campaigns as (
    select * from {{ ref('stg_salesforce__campaigns') }}
),

typed as (
    select
        members.campaign_member_id,
        members.campaign_id,
        campaigns.campaign_name,
        campaigns.campaign_type,
        members.member_status,
        members.has_responded,
        members.created_at,
        coalesce(
            cast(members.first_responded_date as {{ type_timestamptz() }}),
            cast(campaigns.start_date as {{ type_timestamptz() }})
        ) as responded_at,
        coalesce(members.contact_id, members.lead_id) as who_id,
        case when members.contact_id is not null then 'salesforce_contact' else 'salesforce_lead' end
            as identity_source_system,
        lower(coalesce(campaigns.campaign_type, '')) as type_key,
        members.has_responded or lower(coalesce(members.member_status, '')) like '%attend%'
            as has_attended
    from members
    left join campaigns on members.campaign_id = campaigns.campaign_id
),

events as (
    select *, 'webinar_registration' as event_type, created_at as occurred_at
    from typed
    where type_key = 'webinar'

    union all

    select *, 'webinar_attendance', responded_at
    from typed
    where type_key = 'webinar' and has_attended

    union all

    select *, 'event_attendance', coalesce(responded_at, created_at)
    from typed
    where type_key in ('trade show', 'event', 'conference', 'seminar / conference')
      and has_attended
)

select
    'salesforce' as source_system,
    campaign_member_id as source_record_id,
    event_type,
    cast(occurred_at as {{ type_timestamptz() }}) as occurred_at,
    'UTC' as source_timezone,
    identity_source_system,
    who_id as identity_source_id,
    cast(null as {{ dbt.type_string() }}) as anonymous_id,
    cast(null as {{ dbt.type_string() }}) as salesforce_account_id,
    cast(null as {{ dbt.type_string() }}) as source,
    cast(null as {{ dbt.type_string() }}) as medium,
    campaign_name as campaign,
    campaign_id,
    campaign_type,
    cast(null as {{ dbt.type_string() }}) as click_id,
    cast(null as {{ dbt.type_string() }}) as click_id_type,
    cast(null as {{ dbt.type_string() }}) as page_location,
    false as is_pricing_page,
    false as is_comparison_page,
    cast(null as {{ dbt.type_string() }}) as owner_id,
    cast(null as {{ dbt.type_string() }}) as opportunity_type,
    {{ json_object({'member_status': 'member_status', 'has_responded': 'has_responded'}) }}
        as event_properties
from events
where occurred_at is not null and who_id is not null
