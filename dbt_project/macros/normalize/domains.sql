{#- Web domains identify companies (unless free-mail, see is_free_mail_domain). -#}

{#- The part after the @ of an already normalised e-mail (see normalize_email). -#}
{% macro domain_from_email(email_normalized_expr) -%}
    nullif(trim(split_part({{ email_normalized_expr }}, '@', 2), '. '), '')
{%- endmacro %}

{#- Host of a website value as typed by people: with or without scheme, "www.", path,
    port, query or credentials; lower-cased, NFKC. "https://www.Example.co.jp/about" ->
    "example.co.jp". Values without a dot are not domains (null). -#}
{% macro domain_from_url(url_expr) -%}
    {{ return(adapter.dispatch('domain_from_url')(url_expr)) }}
{%- endmacro %}

{% macro default__domain_from_url(url_expr) -%}
    {{ duckdb__domain_from_url(url_expr) }}
{%- endmacro %}

{% macro duckdb__domain_from_url(url_expr) -%}
    nullif(
        regexp_extract(
            lower(trim({{ normalize_text_nfkc(url_expr) }})),
            '^(?:[a-z][a-z0-9+.-]*://)?(?:[^@/]*@)?(?:www\d*\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)\.?(?:[:/?#]|$)',
            1
        ),
        ''
    )
{%- endmacro %}

{#- True when the domain belongs to a free-mail provider (seed free_mail_domains): such
    a domain says nothing about the employer, so it never links a person to an account. -#}
{% macro is_free_mail_domain(domain_expr) -%}
    coalesce(
        {{ domain_expr }} in (select fmd.domain from {{ ref('free_mail_domains') }} as fmd),
        false
    )
{%- endmacro %}
