{#- The current GA4 deliveries and the cookies in each (see the YAML). Read straight from
    the current raw rows, without staging's parsing, so the incremental GA4 base can tell
    what changed since its last build by scanning three raw columns, not by re-parsing every
    event. -#}
select
    _source_file as source_file,
    _batch_id as batch_id,
    user_pseudo_id as anonymous_id,
    count(*) as events
from {{ source('ga4', 'ga4__events') }}
where {{ is_current_delivery() }}
group by _source_file, _batch_id, user_pseudo_id
