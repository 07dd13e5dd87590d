-- Fails when a touch gets credit although it lies after the conversion or before its
-- lookback window (var attribution_lookback_days), or a credit leaves 0..1.
select attribution_id, conversion_type, converted_at, touch_at, credit
from {{ ref('fct_attribution') }}
where credit < 0 or credit > 1 + 1e-12
   or (not is_unattributed and (
        touch_at > converted_at
        or touch_at < {{ dbt.dateadd('day', '-1 * ' ~ attribution_lookback_days('conversion_type'), 'converted_at') }}
   ))
