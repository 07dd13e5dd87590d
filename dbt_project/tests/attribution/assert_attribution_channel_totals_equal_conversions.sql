-- Fails when, for some model and conversion type, the credits over all channels differ
-- from the number of conversions (every conversion must appear under every model, touched
-- or unattributed), or the channel mart's conversions do not add up to the same number.
with conversions as (
    select conversion_type, count(*) as conversions
    from {{ ref('int_attribution_conversions') }}
    group by conversion_type
),

models as (
    select model from {{ ref('attribution_models') }}
),

expected as (
    select models.model, conversions.conversion_type, conversions.conversions
    from models cross join conversions
),

credited as (
    select model, conversion_type, sum(credit) as credits, count(distinct conversion_id) as converted
    from {{ ref('fct_attribution') }}
    group by model, conversion_type
),

mart as (
    select model, conversion_type, sum(conversions) as mart_conversions
    from {{ ref('mart_attribution_by_channel') }}
    group by model, conversion_type
)

select expected.*, credited.credits, credited.converted, mart.mart_conversions
from expected
left join credited
    on expected.model = credited.model and expected.conversion_type = credited.conversion_type
left join mart
    on expected.model = mart.model and expected.conversion_type = mart.conversion_type
where abs(coalesce(credited.credits, 0) - expected.conversions) > 1e-6
   or coalesce(credited.converted, 0) <> expected.conversions
   or abs(coalesce(mart.mart_conversions, 0) - expected.conversions) > 1e-6
