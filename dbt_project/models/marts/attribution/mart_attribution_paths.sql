{#- Every distinct channel path per conversion type, converting or not (no top-N cut): the
    exact journeys (int_attribution_journeys) the markov and shapley credits of
    fct_attribution are computed from, so anyone can re-derive them with another tool
    (ChannelAttribution's markov_model(path, conversions, null = non_conversions),
    Fractribution's path summary). Conversions without any touch are not here: they are
    `unattributed` in fct_attribution. -#}
select
    {{ dbt.concat(["conversion_type", "'|'", "path"]) }} as path_id,
    conversion_type,
    path,
    {{ dbt.length("path") }} - {{ dbt.length(dbt.replace("path", "' > '", "''")) }} > 0 as is_multi_channel,
    sum(case when is_conversion then 1 else 0 end) as conversions,
    sum(case when is_conversion then 0 else 1 end) as non_conversions,
    count(*) as journeys,
    sum(case when is_conversion then 1 else 0 end) * 1.0 / count(*) as conversion_rate,
    coalesce(sum(case when is_conversion then revenue end), 0) as revenue,
    avg(touches) as avg_touches
from {{ ref('int_attribution_journeys') }}
group by conversion_type, path
