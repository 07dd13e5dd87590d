{#- Person groups from the deterministic edges alone (connected components). A record alone
    in its group is "residue" for the probabilistic pass. -#}
with nodes as (
    select node_id, winner_key as label from {{ ref('int_person_records') }}
),

edges as (
    select left_node_id, right_node_id from {{ ref('int_person_matches_deterministic') }}
),

{{ connected_components('nodes', 'edges', prefix='cc', passes=12) }}

select
    node_id,
    label as cluster_key,
    count(*) over (partition by label) = 1 as is_residue
from cc_final
