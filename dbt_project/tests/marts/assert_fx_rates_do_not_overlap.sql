-- A failure means seed fx_rates has two rates for the same currency on one day, so an
-- opportunity amount would be converted twice (fct_opportunities fans out).
select a.currency, a.valid_from, a.valid_to, b.valid_from as other_valid_from
from {{ ref('fx_rates') }} as a
inner join {{ ref('fx_rates') }} as b
    on a.currency = b.currency
    and a.valid_from < b.valid_from
    and a.valid_to >= b.valid_from
