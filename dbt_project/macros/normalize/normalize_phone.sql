{#- Phone numbers compare as digits in national format: 03-1234-5678, 0312345678,
    +81 3 1234 5678, +81 (0)3-1234-5678, 0081 3 1234 5678 and 010-81-3-1234-5678 all become
    0312345678; North American +1 415-555-0100, 1-415-555-0100, (415) 555-0100 and
    010-1-415-555-0100 all become 4155550100 (a Japanese national number starts with 0,
    so 11 digits starting with the trunk 1 are a NANP number). An extension ("ext. 12",
    "x12", "内線12", "#12") is not part of the number. Fewer than 6 digits is not a usable
    number (null). -#}
{% macro normalize_phone(phone_expr) -%}
    {{ return(adapter.dispatch('normalize_phone')(phone_expr)) }}
{%- endmacro %}

{% macro default__normalize_phone(phone_expr) -%}
    {{ duckdb__normalize_phone(phone_expr) }}
{%- endmacro %}

{% macro duckdb__normalize_phone(phone_expr) -%}
    {%- set no_extension = regex_replace_all(
        "lower(" ~ normalize_text_nfkc(phone_expr) ~ ")",
        "'\s*(ext\.?|extension|x|内線|#)\s*[0-9]+\s*$'", "''") -%}
    {%- set d = regex_replace_all(no_extension, "'[^0-9+]'", "''") -%}
    {%- set national -%}
        case
            when {{ d }} like '+81%' then '0' || ltrim(substr(replace({{ d }}, '+', ''), 3), '0')
            when {{ d }} like '0081%' then '0' || ltrim(substr(replace({{ d }}, '+', ''), 5), '0')
            when {{ d }} like '01081%' then '0' || ltrim(substr(replace({{ d }}, '+', ''), 6), '0')
            when {{ d }} like '+1%' and length({{ d }}) = 12 then substr({{ d }}, 3)
            when {{ d }} like '0011%' and length({{ d }}) = 14 then substr({{ d }}, 5)
            when {{ d }} like '0101%' and length({{ d }}) = 14 then substr({{ d }}, 5)
            when {{ d }} like '1%' and length({{ d }}) = 11 then substr({{ d }}, 2)
            when {{ d }} like '81%' and length({{ d }}) in (11, 12)
                then '0' || ltrim(substr({{ d }}, 3), '0')
            else replace({{ d }}, '+', '')
        end
    {%- endset -%}
    case when length({{ national }}) >= 6 then {{ national }} end
{%- endmacro %}
