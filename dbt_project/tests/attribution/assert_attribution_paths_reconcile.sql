-- Fails when mart_attribution_paths does not hold exactly the attributed journeys: its
-- conversions must equal the conversions with at least one touch, and the segment cut must
-- add up to the paths (the markov / shapley inputs anyone re-derives from).
with touched as (
    select conversion_type, count(distinct conversion_id) as conversions
    from {{ ref('fct_attribution') }}
    where not is_unattributed
    group by conversion_type
),

paths as (
    select conversion_type, sum(conversions) as conversions, sum(non_conversions) as non_conversions
    from {{ ref('mart_attribution_paths') }}
    group by conversion_type
),

segments as (
    select conversion_type, sum(conversions) as conversions, sum(non_conversions) as non_conversions
    from {{ ref('mart_attribution_paths_by_segment') }}
    group by conversion_type
)

select touched.conversion_type, touched.conversions, paths.conversions as path_conversions,
       segments.conversions as segment_conversions
from touched
full outer join paths on touched.conversion_type = paths.conversion_type
full outer join segments on coalesce(touched.conversion_type, paths.conversion_type) = segments.conversion_type
where coalesce(touched.conversions, 0) <> coalesce(paths.conversions, 0)
   or coalesce(paths.conversions, 0) <> coalesce(segments.conversions, 0)
   or coalesce(paths.non_conversions, 0) <> coalesce(segments.non_conversions, 0)
