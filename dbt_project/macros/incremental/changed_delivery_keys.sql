{#- Incremental models rebuilt per key (the GA4 base: per cookie) find what to recompute by
    comparing deliveries, not timestamps. `built_relation` (the model itself, `this`) keeps for every
    row the delivery it came from (source_file, batch_id); `deliveries` lists the current
    deliveries and the keys each holds (source_file, batch_id, <key>). A delivery current but
    not in the target is new (a new day, a re-delivered day, GA4's daily file replacing the
    intraday one, a restored delivery); one in the target but no longer current is gone
    (superseded by a re-delivery, set aside with `revloop files --ignore`). The keys to
    recompute are those of the new deliveries (from `deliveries`) and of the gone ones (from
    the target): every key whose set of current input rows may differ from the last build.
    Comparing states rather than load times needs no watermark and survives a restore, a
    rerun or a clock that disagrees.

    Returns {'keys': [...], 'query': SQL returning the same keys, 'new': n, 'gone': n}; at
    parse time (nothing executes) an empty result. -#}
{% macro changed_delivery_keys(built_relation, deliveries, key) %}
    {%- set result = {'keys': [], 'query': 'select null where false', 'new': 0, 'gone': 0} -%}
    {%- if not execute -%}
        {{ return(result) }}
    {%- endif -%}
    {%- set built = [] -%}
    {#- rows without a delivery (int_events_base: the sources rebuilt whole) are not compared -#}
    {%- for row in run_query('select distinct source_file, batch_id from ' ~ built_relation
        ~ ' where source_file is not null').rows -%}
        {%- do built.append(row[0] ~ '@' ~ row[1]) -%}
    {%- endfor -%}
    {%- set current = [] -%}
    {%- for row in run_query('select distinct source_file, batch_id from ' ~ deliveries).rows -%}
        {%- do current.append(row[0] ~ '@' ~ row[1]) -%}
    {%- endfor -%}
    {%- set new = current | reject('in', built) | list -%}
    {%- set gone = built | reject('in', current) | list -%}
    {%- set parts = [] -%}
    {%- if new -%}
        {%- do parts.append('select ' ~ key ~ ' from ' ~ deliveries ~ ' where '
            ~ _delivery_in(new)) -%}
    {%- endif -%}
    {%- if gone -%}
        {%- do parts.append('select ' ~ key ~ ' from ' ~ built_relation ~ ' where ' ~ _delivery_in(gone)) -%}
    {%- endif -%}
    {%- if parts -%}
        {%- set query = parts | join(' union ') -%}
        {%- set keys = [] -%}
        {%- for row in run_query(query).rows -%}
            {%- do keys.append(row[0]) -%}
        {%- endfor -%}
        {%- do result.update({'keys': keys, 'query': query, 'new': new | length,
            'gone': gone | length}) -%}
    {%- endif -%}
    {{ log(built_relation.identifier ~ ': ' ~ new | length ~ ' new and ' ~ gone | length
        ~ ' gone deliveries since the last build, ' ~ result['keys'] | length ~ ' '
        ~ key ~ ' values to recompute', info=true) }}
    {{ return(result) }}
{% endmacro %}

{#- `source_file || '@' || batch_id in (...)`, with the files listed first so DuckDB can skip
    the raw row groups of other files (raw is stored in file order). -#}
{% macro _delivery_in(delivery_keys) -%}
    {%- set files = [] -%}
    {%- for k in delivery_keys -%}
        {%- set file = k.rsplit('@', 1)[0] -%}
        {%- if file not in files %}{% do files.append(file) %}{% endif -%}
    {%- endfor -%}
    source_file in ({{ sql_string_list(files) }})
    and source_file || '@' || batch_id in ({{ sql_string_list(delivery_keys) }})
{%- endmacro %}

{#- A filter keeping the changed keys: a literal list (DuckDB pushes it through the staging
    view into the raw scan, so only those keys are parsed), or the key query when the list
    would be too long to inline (var incremental_max_listed_keys: correct, but the view is
    then parsed whole). -#}
{% macro changed_keys_filter(column, changed) -%}
    {%- if not changed['keys'] -%}
        false
    {%- elif changed_keys_are_listed(changed) -%}
        {{ column }} in ({{ sql_string_list(changed['keys']) }})
    {%- else -%}
        {{ column }} in ({{ changed['query'] }})
    {%- endif -%}
{%- endmacro %}

{#- Whether changed_keys_filter lists the keys (few: DuckDB then reads only their raw rows)
    or selects them by a subquery (more than var incremental_max_listed_keys). -#}
{% macro changed_keys_are_listed(changed) -%}
    {{ return(changed['keys'] | length <= var('incremental_max_listed_keys')) }}
{%- endmacro %}

{% macro sql_string_list(values) -%}
    {%- for v in values -%}
        '{{ v | string | replace("'", "''") }}'{{ ", " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
