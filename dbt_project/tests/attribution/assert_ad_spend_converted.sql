-- Fails when an ad spend row has no FX rate for its currency and day (seed fx_rates has a
-- gap) or the JPY amount is not spend x rate: spend would silently drop out of ROAS.
select ad_spend_id, currency, spend_date, spend, rate_to_jpy, spend_jpy
from {{ ref('int_ad_spend_daily') }}
where rate_to_jpy is null
   or abs(spend_jpy - spend * rate_to_jpy) > 1e-6 * greatest(1, abs(spend_jpy))
