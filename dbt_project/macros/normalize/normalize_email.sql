{#- An e-mail address identifies a person: NFKC (full-width letters typed in Japanese IMEs),
    trimmed, lower-cased; an empty or @-less value is no address at all (null). -#}
{% macro normalize_email(email_expr) -%}
    case
        when lower(trim({{ normalize_text_nfkc(email_expr) }})) like '%_@_%.%'
            then lower(trim({{ normalize_text_nfkc(email_expr) }}))
    end
{%- endmacro %}
