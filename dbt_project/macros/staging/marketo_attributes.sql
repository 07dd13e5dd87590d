{#- Marketo activity attributes as one list of {name, value}, whatever shape they came in:
    the Bulk Extract CSV writes a JSON object {"Webpage URL": "/pricing", ...}, the REST
    activities endpoint an array [{"name": "Webpage URL", "value": "/pricing"}]. Values are
    kept as text (numbers and booleans included).

    Usage: {{ marketo_attribute_list('attributes') }} as attribute_list
-#}
{% macro marketo_attribute_list(column) -%}
    {{ return(adapter.dispatch('marketo_attribute_list')(column)) }}
{%- endmacro %}

{% macro default__marketo_attribute_list(column) -%}
    case json_type({{ column }})
        when 'OBJECT' then list_transform(
            map_entries(from_json({{ column }}, '"MAP(VARCHAR, VARCHAR)"')),
            lambda e: {'name': e.key, 'value': e.value}
        )
        when 'ARRAY' then from_json({{ column }}, '[{"name": "VARCHAR", "value": "VARCHAR"}]')
    end
{%- endmacro %}
