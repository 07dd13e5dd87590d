{#- Phone numbers compare as digits in national format: 03-1234-5678, 0312345678,
    +81 3 1234 5678, +81 (0)3-1234-5678 and 0081 3 1234 5678 all become 0312345678;
    North American +1 415-555-0100 and (415) 555-0100 both become 4155550100.
    Fewer than 6 digits is not a usable number (null). -#}
{% macro normalize_phone(phone_expr) -%}
    {{ return(adapter.dispatch('normalize_phone')(phone_expr)) }}
{%- endmacro %}

{% macro default__normalize_phone(phone_expr) -%}
    {{ duckdb__normalize_phone(phone_expr) }}
{%- endmacro %}

{% macro duckdb__normalize_phone(phone_expr) -%}
    {%- set d = "regexp_replace(" ~ normalize_text_nfkc(phone_expr) ~ ", '[^0-9+]', '', 'g')" -%}
    {%- set national -%}
        case
            when {{ d }} like '+81%' then '0' || ltrim(substr(replace({{ d }}, '+', ''), 3), '0')
            when {{ d }} like '0081%' then '0' || ltrim(substr(replace({{ d }}, '+', ''), 5), '0')
            when {{ d }} like '+1%' and length({{ d }}) = 12 then substr({{ d }}, 3)
            when {{ d }} like '81%' and length({{ d }}) in (11, 12)
                then '0' || ltrim(substr({{ d }}, 3), '0')
            else replace({{ d }}, '+', '')
        end
    {%- endset -%}
    case when length({{ national }}) >= 6 then {{ national }} end
{%- endmacro %}
