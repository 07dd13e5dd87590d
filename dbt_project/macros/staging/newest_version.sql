{#- The one rule for "which version of a source record wins", used by every staging model:
    raw keeps every version ever delivered, staging keeps the newest per key — by the
    vendor's own version column when it has one (SystemModstamp, updatedAt), then the
    latest load, then the later file, then the later row in that file.

    Usage: in the `source` CTE, on the raw columns, before any expression is computed, so
    the normalisations (company names, e-mails, phones: regex work) and JSON unpacking are
    asked for the kept versions only:
        select * from {{ source(...) }} where {{ is_current_delivery() }}
        {{ newest_version('id', 'systemmodstamp') }}
-#}
{% macro newest_version(partition_by, version_column=none) -%}
    qualify row_number() over (
        partition by {{ partition_by }}
        order by
            {%- if version_column %} {{ version_column }} desc nulls last,{% endif %}
            _loaded_at desc, _source_file desc, _row_number desc
    ) = 1
{%- endmacro %}
