{#- Candidate person pairs the matcher was not sure enough to merge: probability in
    [identity_review_threshold, identity_auto_merge_threshold), plus lower-ranked candidates
    above the auto threshold (a record merges with its best candidate only). Pairs already
    resolved to the same person are left out. The ops team works through this table. -#}
with candidates as (
    select * from {{ ref('int_person_matches_probabilistic') }}
    where decision = 'review'
),

identities as (
    select * from {{ ref('int_person_identities') }}
)

select
    md5(candidates.left_node_id || '|' || candidates.right_node_id) as review_id,
    candidates.left_source_system,
    candidates.left_source_id,
    candidates.right_source_system,
    candidates.right_source_id,
    left_identity.person_id as left_person_id,
    right_identity.person_id as right_person_id,
    cast(candidates.match_probability as double) as match_probability,
    candidates.reason
from candidates
inner join identities as left_identity on candidates.left_node_id = left_identity.node_id
inner join identities as right_identity on candidates.right_node_id = right_identity.node_id
where left_identity.person_id <> right_identity.person_id
