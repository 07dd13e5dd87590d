-- A failure means an opportunity has an amount but no JPY amount: its currency or date is
-- not covered by seed fx_rates. Add the missing rate to seeds/fx_rates.csv.
select opportunity_id, currency, close_date, amount_original
from {{ ref('fct_opportunities') }}
where amount_original is not null and amount is null
