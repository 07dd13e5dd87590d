{#- Raw keeps every delivery of every file. A file delivered again with new content (GA4
    rewrites a day for up to three days, ad platforms restate recent days, a vendor re-sends
    a fixed export) supersedes the earlier delivery, and GA4's daily file supersedes that
    day's intraday file: the loader marks the superseded rows with `_superseded_at`, keeping
    them for audit. Staging reads the current delivery only, so nothing counts twice.

    Usage (in a staging model's `source` CTE):
        select * from {{ source('ga4', 'ga4__events') }} where {{ is_current_delivery() }}
-#}
{% macro is_current_delivery() -%}
    _superseded_at is null
{%- endmacro %}
