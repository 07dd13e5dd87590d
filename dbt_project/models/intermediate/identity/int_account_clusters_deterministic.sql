{#- Account groups from the deterministic edges alone (connected components). A record
    alone in its group is "residue" for the probabilistic pass; each group's profile (its
    distinct names, domains, phones, legal forms and corporate number) is what residue
    records are compared with. -#}
with records as (
    select * from {{ ref('int_account_records') }}
),

nodes as (
    select node_id, winner_key as label from records
),

edges as (
    select left_node_id, right_node_id from {{ ref('int_account_matches_deterministic') }}
),

{{ connected_components('nodes', 'edges', prefix='cc', passes=12) }},

clustered as (
    select cc_final.node_id, cc_final.label, records.corporate_number
    from cc_final
    inner join records on cc_final.node_id = records.node_id
),

sizes as (
    select label, count(*) as records, count(distinct corporate_number) as corporate_numbers
    from clustered
    group by label
)

select
    clustered.node_id,
    clustered.label as cluster_key,
    sizes.records = 1 as is_residue,
    sizes.corporate_numbers
from clustered
inner join sizes on clustered.label = sizes.label
