{#- A campaign value as UTM matching compares it: lower-cased, every run of characters
    other than letters and digits as one `_`, no leading/trailing `_`
    ("Lead Gen - Whitepaper" -> "lead_gen_whitepaper"); null when empty. -#}
{% macro utm_key(value_expr) -%}
    nullif(trim({{ regex_replace_all("lower(trim(" ~ value_expr ~ "))", "'[^a-z0-9]+'", "'_'") }}, '_'), '')
{%- endmacro %}
