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

{#- True when the domain is a personal mail provider's (seed free_mail_domains): web mail
    (gmail.com, yahoo.co.jp), Internet providers and mobile carriers (ybb.ne.jp,
    docomo.ne.jp, i.softbank.jp). Rows with match_type `suffix` also cover every sub-domain
    (`so-net.ne.jp` covers `ab3.so-net.ne.jp`; `ne.jp`, the zone for network services,
    covers every provider under it). Such a domain says nothing about the employer, so it
    never links a person to an account. Set-based: the domain and its last 2, 3 and 4
    labels are looked up, no pattern per row. -#}
{% macro is_free_mail_domain(domain_expr) -%}
    {%- set seed = ref('free_mail_domains') -%}
    {%- set suffixes = "(select fmd.domain from " ~ seed ~ " as fmd where fmd.match_type = 'suffix')" -%}
    coalesce(
        {{ domain_expr }} in (select fmd.domain from {{ seed }} as fmd)
        or {{ regex_extract(domain_expr, "'[^.]+[.][^.]+$'") }} in {{ suffixes }}
        or {{ regex_extract(domain_expr, "'[^.]+[.][^.]+[.][^.]+$'") }} in {{ suffixes }}
        or {{ regex_extract(domain_expr, "'[^.]+[.][^.]+[.][^.]+[.][^.]+$'") }} in {{ suffixes }},
        false
    )
{%- endmacro %}
