{#- Final person of every person source record: connected components over the deterministic
    edges plus the auto-merged probabilistic pairs.
    Survivorship (the person id is stable): person_id = 'per_' + md5 prefix of the
    component's OLDEST record (created first; then a Salesforce contact over a lead over a
    Marketo lead; then the node id). A converting lead adds a newer contact, so the id
    stays; when two people merge, the merged person keeps the id of the one whose record is
    oldest and the other id is retired (marts.identity_id_history maps every retired id to
    the survivor). record_person_id is the id the record itself would name if it were its
    person's oldest record: the ids the rule can have published for it before a merge.
    matched_by says how a record joined its person: `anchor` (it is the winning record), the
    strongest deterministic rule touching it, or `probabilistic` with the pair's
    probability. -#}
with records as (
    select * from {{ ref('int_person_records') }}
),

deterministic as (
    select left_node_id, right_node_id, matched_by, 1.0 as match_probability
    from {{ ref('int_person_matches_deterministic') }}
),

probabilistic as (
    select left_node_id, right_node_id, 'probabilistic' as matched_by, match_probability
    from {{ ref('int_person_matches_probabilistic') }}
    where decision = 'auto_merge'
),

match_edges as (
    select * from deterministic
    union all
    select * from probabilistic
),

nodes as (
    select node_id, winner_key as label from records
),

{{ connected_components('nodes', 'match_edges', prefix='cc', passes=12) }},

node_rules as (
    select node_id, matched_by, match_probability,
        case matched_by
            when 'email' then 1
            when 'salesforce_conversion' then 2
            when 'marketo_sfdc_link' then 3
            else 4
        end as rule_rank
    from (
        select left_node_id as node_id, matched_by, match_probability from match_edges
        union all
        select right_node_id, matched_by, match_probability from match_edges
    )
),

best_rule as (
    select node_id, matched_by, match_probability
    from node_rules
    qualify row_number() over (
        partition by node_id order by rule_rank, match_probability desc
    ) = 1
)

select
    records.node_id,
    records.source_system,
    records.source_id,
    'per_' || left({{ dbt.hash(dbt.split_part('cc_final.label', "'|'", 3)) }}, 16) as person_id,
    {{ dbt.split_part('cc_final.label', "'|'", 3) }} as winning_node_id,
    case
        when records.node_id = {{ dbt.split_part('cc_final.label', "'|'", 3) }} then 'anchor'
        else coalesce(best_rule.matched_by, 'anchor')
    end as matched_by,
    case
        when records.node_id = {{ dbt.split_part('cc_final.label', "'|'", 3) }} then 1.0
        else coalesce(best_rule.match_probability, 1.0)
    end as match_probability,
    'per_' || left({{ dbt.hash('records.node_id') }}, 16) as record_person_id
from records
inner join cc_final on records.node_id = cc_final.node_id
left join best_rule on records.node_id = best_rule.node_id
