-- Fails when, for some conversion and model, the credits do not sum to 1 or the revenue
-- credits do not sum to the conversion's revenue (1e-9, relative for revenue): a model
-- created or lost credit, so channel totals would no longer add up to the conversions.
select conversion_id, model, sum(credit) as credits, sum(revenue_credit) as revenue_credits,
       max(revenue) as revenue
from {{ ref('fct_attribution') }}
group by conversion_id, model
having abs(sum(credit) - 1) > 1e-9
    or abs(sum(revenue_credit) - max(revenue)) > 1e-9 * greatest(1, abs(max(revenue)))
