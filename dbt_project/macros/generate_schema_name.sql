{#- Use the folder's schema name as-is (raw, staging, marts, ...) instead of dbt's
    default "<target_schema>_<custom>" so the public table names of interfaces.md hold. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
