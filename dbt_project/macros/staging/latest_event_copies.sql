{#- GA4 staging's de-duplication: the same event (cookie and event_id) in two current
    deliveries counts once, the latest loaded copy wins (file, then line, break ties, so a
    rebuild picks the same row: newest_version's order). `relation` has one row per current
    raw row (base_ga4__event_rows); `where`: a filter on it, e.g. the cookies an incremental
    build recomputes.

    Why not `qualify row_number() ... = 1` over the rows themselves: a window sorts every
    column it carries, and at two years (10M events of 30 columns) that sort spilled GBs to
    disk (29 s of staging's 40 s). Here the window sees five narrow columns and names the
    losing copies (almost always none); the rows are read a second time and the losers
    removed. `where` is applied inside, to both reads, so a night that recomputes some
    cookies parses only their raw rows instead of the whole history.
    `inline` (default true): compute the rows at each of their two reads (macro inline_cte)
    rather than store them once; false suits a few cookies' rows, whose store is smaller
    than a second parse. The loader sets source_file, batch_id and row_number on every
    raw row. -#}
{% macro latest_event_copies(relation, where=none, inline=true) -%}
    with event_rows as {{ inline_cte() if inline else '' }} (
        select * from {{ relation }}
        {%- if where is not none %}
        where {{ where }}
        {%- endif %}
    ),

    superseded_copies as (
        select anonymous_id, source_file, batch_id, row_number
        from event_rows
        qualify row_number() over (
            partition by anonymous_id, event_id
            order by loaded_at desc, source_file desc, row_number desc
        ) > 1
    )

    select event_rows.*
    from event_rows
    where not exists (
        select 1
        from superseded_copies
        where superseded_copies.anonymous_id = event_rows.anonymous_id
            and superseded_copies.source_file is not distinct from event_rows.source_file
            and superseded_copies.batch_id is not distinct from event_rows.batch_id
            and superseded_copies.row_number is not distinct from event_rows.row_number
    )
{%- endmacro %}
