{#- Connected components, set-based: every node starts with its own label (a unique,
    sortable key whose minimum names the component), and each pass
      1. hooks: a node takes the smallest label among itself and its neighbours;
      2. jumps: a node takes the label its label's owner now has (pointer jumping), so a
         chain of length d converges in about log2(d) passes instead of d.
    After `passes` passes the labels must be constant on every edge; if any edge still has
    two labels the graph was deeper than the passes allow and the statement FAILS (a
    silent half-merged person or account would be worse): raise `passes`.
    nodes_cte: (node_id, label) with unique labels; edges_cte: (left_node_id,
    right_node_id), undirected, both ends among the nodes.
    Expands to CTE text ending in a CTE named `<prefix>_final (node_id, label)`. -#}
{% macro connected_components(nodes_cte, edges_cte, prefix='cc', passes=12) -%}
{{ prefix }}_edges as (
    select left_node_id as node_id, right_node_id as neighbour_id from {{ edges_cte }}
    union
    select right_node_id, left_node_id from {{ edges_cte }}
),

{{ prefix }}_owners as (
    -- which node a label names (labels are the nodes' own unique keys)
    select label as owned_label, node_id as owner_node_id from {{ nodes_cte }}
),

{{ prefix }}_pass_0 as (
    select node_id, label from {{ nodes_cte }}
),
{% for i in range(1, passes + 1) %}
{{ prefix }}_hook_{{ i }} as (
    select
        n.node_id,
        least(n.label, coalesce(min(nb.label), n.label)) as label
    from {{ prefix }}_pass_{{ i - 1 }} as n
    left join {{ prefix }}_edges as e on n.node_id = e.node_id
    left join {{ prefix }}_pass_{{ i - 1 }} as nb on e.neighbour_id = nb.node_id
    group by n.node_id, n.label
),

{{ prefix }}_pass_{{ i }} as (
    select
        h.node_id,
        least(h.label, coalesce(owner_now.label, h.label)) as label
    from {{ prefix }}_hook_{{ i }} as h
    left join {{ prefix }}_owners as o on h.label = o.owned_label
    left join {{ prefix }}_hook_{{ i }} as owner_now on o.owner_node_id = owner_now.node_id
),
{% endfor %}
{{ prefix }}_unconverged as (
    select count(*) as edges_with_two_labels
    from {{ prefix }}_edges as e
    inner join {{ prefix }}_pass_{{ passes }} as l on e.node_id = l.node_id
    inner join {{ prefix }}_pass_{{ passes }} as r on e.neighbour_id = r.node_id
    where l.label <> r.label
),

{{ prefix }}_final as (
    select f.node_id, f.label
    from {{ prefix }}_pass_{{ passes }} as f
    cross join {{ prefix }}_unconverged as u
    where {{ assert_true('u.edges_with_two_labels = 0',
        'connected components (' ~ prefix ~ ') did not converge in ' ~ passes
        ~ ' passes: raise passes in the model that calls connected_components') }}
)
{%- endmacro %}
