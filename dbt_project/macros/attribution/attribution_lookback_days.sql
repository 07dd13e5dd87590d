{#- Lookback window in days of a conversion type (var attribution_lookback_days: a number for
    every type, or a mapping conversion_type -> days). Returns a SQL expression of the given
    conversion-type column, so one query can hold every type. Unknown types get 90 days. -#}
{% macro attribution_lookback_days(conversion_type_column) -%}
  {%- set value = var('attribution_lookback_days', 90) -%}
  {%- if value is mapping -%}
    case {{ conversion_type_column }}
    {%- for conversion_type, days in value.items() %}
      when '{{ conversion_type }}' then {{ days | int }}
    {%- endfor %}
      else 90
    end
  {%- else -%}
    {{ value | int }}
  {%- endif -%}
{%- endmacro %}

{#- A campaign name or id as a join key: lower case, every run of other characters one "_",
    so "Brand Search", "brand_search" and "Brand-Search " meet. Dispatched: regex flags and
    trim differ between engines. -#}
{% macro attribution_campaign_key(expression) -%}
  {{ return(adapter.dispatch('attribution_campaign_key', 'revloop')(expression)) }}
{%- endmacro %}

{% macro default__attribution_campaign_key(expression) -%}
  nullif(trim(both '_' from regexp_replace(lower(trim({{ expression }})), '[^a-z0-9]+', '_', 'g')), '')
{%- endmacro %}

{% macro duckdb__attribution_campaign_key(expression) -%}
  nullif(trim(regexp_replace(lower(trim({{ expression }})), '[^a-z0-9]+', '_', 'g'), '_'), '')
{%- endmacro %}

{% macro spark__attribution_campaign_key(expression) -%}
  nullif(regexp_replace(regexp_replace(lower(trim({{ expression }})), '[^a-z0-9]+', '_'), '^_+|_+$', ''), '')
{%- endmacro %}

{#- The model the CRM sees (var attribution_crm_model), checked against the nine models. -#}
{% macro attribution_crm_model() -%}
  {%- set model = var('attribution_crm_model', 'w_shaped') -%}
  {%- set known = ['first_touch', 'last_touch', 'linear', 'time_decay', 'u_shaped', 'w_shaped',
                   'full_path', 'markov', 'shapley'] -%}
  {%- if model not in known -%}
    {{ exceptions.raise_compiler_error("var attribution_crm_model must be one of " ~ known ~ ", got '" ~ model ~ "'") }}
  {%- endif -%}
  {{ return(model) }}
{%- endmacro %}
