{#- One parameter of a URL's query string, still percent-encoded; null when absent or empty.
    "https://ex.com/?utm_source=google&gclid=G1", 'gclid' -> 'G1'. The plain substring test
    runs first because most URLs carry no such parameter: a regular expression per URL and
    parameter cost 10 s for the eight parameters of 9.8M GA4 events, the test 1 s. -#}
{% macro url_query_param(url_expr, param) -%}
    case when {{ dbt.position("'" ~ param ~ "='", url_expr) }} > 0
        then nullif(regexp_extract({{ url_expr }}, '[?&]{{ param }}=([^&#]*)', 1), '')
    end
{%- endmacro %}
