{#- mart_attribution_paths cut by segment (seed account_segments; `unknown` for cookies and
    accounts without an employee count): which sequences win in which segment. Summing a
    path over its segments gives its row of mart_attribution_paths. winning_rank ranks the
    converting paths of a segment and conversion type by conversions (then conversion rate,
    then path), 1 = the segment's winning sequence. -#}
with paths as (
    select
        conversion_type,
        segment,
        path,
        sum(case when is_conversion then 1 else 0 end) as conversions,
        sum(case when is_conversion then 0 else 1 end) as non_conversions,
        count(*) as journeys,
        coalesce(sum(case when is_conversion then revenue end), 0) as revenue
    from {{ ref('int_attribution_journeys') }}
    group by conversion_type, segment, path
)

select
    {{ dbt.concat(["conversion_type", "'|'", "segment", "'|'", "path"]) }} as segment_path_id,
    conversion_type,
    segment,
    path,
    conversions,
    non_conversions,
    journeys,
    conversions * 1.0 / journeys as conversion_rate,
    revenue,
    case
        when conversions > 0 then row_number() over (
            partition by conversion_type, segment
            order by conversions desc, conversions * 1.0 / journeys desc, path
        )
    end as winning_rank
from paths
