{#- Marketo activities, one row per marketoGUID, with the type name of the standard type ids
    and the attributes the event log needs unpacked from `attributes` (the bulk export's JSON
    object, or the REST API's name/value array: macro marketo_attribute_list). -#}
with source as (
    select * from {{ source('marketo', 'marketo__activities') }} where {{ is_current_delivery() }}
    {{ newest_version('marketoguid') }}
),

unpacked as (
    select
        *,
        {{ marketo_attribute_list('attributes') }} as attribute_list
    from source
),

renamed as (
    select
        marketoguid as activity_id,
        leadid as marketo_lead_id,
        cast(activitydate as timestamptz) as occurred_at,
        cast(activitytypeid as bigint) as activity_type_id,
        case cast(activitytypeid as bigint)
            when 1 then 'visit_webpage'
            when 2 then 'fill_out_form'
            when 3 then 'click_link'
            when 6 then 'send_email'
            when 7 then 'email_delivered'
            when 8 then 'email_bounced'
            when 9 then 'unsubscribe_email'
            when 10 then 'open_email'
            when 11 then 'click_email'
            when 12 then 'new_lead'
            when 13 then 'change_data_value'
            when 22 then 'change_score'
            when 46 then 'interesting_moment'
            when 104 then 'change_status_in_progression'
            else 'other'
        end as activity_type,
        nullif(campaignid, '') as campaign_id,
        nullif(primaryattributevalueid, '') as primary_attribute_value_id,
        nullif(primaryattributevalue, '') as primary_attribute_value,
        list_filter(attribute_list, lambda a: a.name = 'Webpage URL')[1].value as webpage_url,
        list_filter(attribute_list, lambda a: a.name = 'Query Parameters')[1].value
            as query_parameters,
        list_filter(attribute_list, lambda a: a.name = 'Referrer URL')[1].value as referrer_url,
        coalesce(
            list_filter(attribute_list, lambda a: a.name = 'Form Name')[1].value,
            case when cast(activitytypeid as bigint) = 2 then nullif(primaryattributevalue, '') end
        ) as form_name,
        case
            when cast(activitytypeid as bigint) = 104
                then list_filter(
                    attribute_list, lambda a: a.name in ('New Status', 'Status', 'Program Status')
                )[1].value
        end as program_status,
        attributes as attributes_json,
        _loaded_at as loaded_at
    from unpacked
)

select * from renamed
