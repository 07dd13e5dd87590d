{#- Connected components by iterative label propagation, set-based: every node starts with
    its own label (a sortable key whose minimum is the component's winning record), and each
    pass lowers a node's label to the smallest label among itself and its neighbours.
    `passes` bounds the component diameter that converges; edges are star-shaped (every
    record links to its group's first record), so a handful of passes is plenty.
    nodes_cte: (node_id, label); edges_cte: (left_node_id, right_node_id), undirected.
    Expands to CTE text ending in a CTE named `<prefix>_final (node_id, label)`. -#}
{% macro connected_components(nodes_cte, edges_cte, prefix='cc', passes=12) -%}
{{ prefix }}_edges as (
    select left_node_id as node_id, right_node_id as neighbour_id from {{ edges_cte }}
    union
    select right_node_id, left_node_id from {{ edges_cte }}
),

{{ prefix }}_pass_0 as (
    select node_id, label from {{ nodes_cte }}
),
{% for i in range(1, passes + 1) %}
{{ prefix }}_pass_{{ i }} as (
    select
        n.node_id,
        least(n.label, coalesce(min(nb.label), n.label)) as label
    from {{ prefix }}_pass_{{ i - 1 }} as n
    left join {{ prefix }}_edges as e on n.node_id = e.node_id
    left join {{ prefix }}_pass_{{ i - 1 }} as nb on e.neighbour_id = nb.node_id
    group by n.node_id, n.label
),
{% endfor %}
{{ prefix }}_final as (
    select node_id, label from {{ prefix }}_pass_{{ passes }}
)
{%- endmacro %}
