{#- Candidate pairs the matchers were not sure enough to merge, for the ops team to work
    through: people (int_person_matches_probabilistic: probability in
    [identity_review_threshold, identity_auto_merge_threshold), plus lower-ranked candidates
    above the auto threshold, since a record merges with its best candidate only) and
    accounts (int_account_matches_probabilistic: [identity_account_review_threshold,
    identity_account_auto_merge_threshold), e.g. the same company name and nothing else, or
    a name shared with a switchboard). Pairs already resolved to one entity are left out. -#}
with person_candidates as (
    select * from {{ ref('int_person_matches_probabilistic') }}
    where decision = 'review'
),

person_identities as (
    select * from {{ ref('int_person_identities') }}
),

account_candidates as (
    select * from {{ ref('int_account_matches_probabilistic') }}
    where decision = 'review'
),

account_identities as (
    select source_system || ':' || source_id as node_id, account_id
    from {{ ref('int_account_identities') }}
),

pairs as (
    select
        'person' as entity_type,
        candidates.left_node_id,
        candidates.right_node_id,
        candidates.left_source_system,
        candidates.left_source_id,
        candidates.right_source_system,
        candidates.right_source_id,
        left_identity.person_id as left_entity_id,
        right_identity.person_id as right_entity_id,
        candidates.match_probability,
        candidates.reason
    from person_candidates as candidates
    inner join person_identities as left_identity
        on candidates.left_node_id = left_identity.node_id
    inner join person_identities as right_identity
        on candidates.right_node_id = right_identity.node_id

    union all

    select
        'account',
        candidates.left_node_id,
        candidates.right_node_id,
        candidates.left_source_system,
        candidates.left_source_id,
        candidates.right_source_system,
        candidates.right_source_id,
        left_identity.account_id,
        right_identity.account_id,
        candidates.match_probability,
        candidates.reason
    from account_candidates as candidates
    inner join account_identities as left_identity
        on candidates.left_node_id = left_identity.node_id
    inner join account_identities as right_identity
        on candidates.right_node_id = right_identity.node_id
)

select
    -- person pairs keep the id they had before accounts joined the queue
    case
        when entity_type = 'person' then {{ dbt.hash("left_node_id || '|' || right_node_id") }}
        else {{ dbt.hash("'account|' || left_node_id || '|' || right_node_id") }}
    end as review_id,
    entity_type,
    left_source_system,
    left_source_id,
    right_source_system,
    right_source_id,
    case when entity_type = 'person' then left_entity_id end as left_person_id,
    case when entity_type = 'person' then right_entity_id end as right_person_id,
    case when entity_type = 'account' then left_entity_id end as left_account_id,
    case when entity_type = 'account' then right_entity_id end as right_account_id,
    cast(match_probability as double) as match_probability,
    reason
from pairs
where left_entity_id is distinct from right_entity_id
