{#- The resolved account of every company-naming source record (Salesforce account,
    Salesforce lead, Marketo lead): connected components over the deterministic edges
    (int_account_matches_deterministic) plus the auto-merged probabilistic pairs
    (int_account_matches_probabilistic).

    Never two corporate numbers: if a component still holds two different 法人番号 (a
    chain of merges no single pair showed), its probabilistic merges are undone and its
    records fall back to their deterministic groups, which cannot hold two.

    Survivorship (the account id is stable): account_id = 'acc_' + md5 prefix of the
    component's OLDEST record (created first; then a Salesforce account over a lead over a
    Marketo lead; then the node id). A lead that converts adds a newer account record, so
    the id stays; when groups merge, the merged account keeps the oldest group's id and the
    other ids are retired (marts.identity_id_history maps each retired id to the survivor).
    matched_by says how a record joined its account: `anchor` (it names the account), the
    strongest deterministic rule touching it, or `probabilistic`; `none` when the record
    names no company (no name, corporate domain, corporate number or CRM link). -#}
with records as (
    select * from {{ ref('int_account_records') }}
),

deterministic as (
    select left_node_id, right_node_id, matched_by, 1.0 as match_probability
    from {{ ref('int_account_matches_deterministic') }}
),

probabilistic as (
    select left_node_id, right_node_id, 'probabilistic' as matched_by, match_probability
    from {{ ref('int_account_matches_probabilistic') }}
    where decision = 'auto_merge'
),

nodes as (
    select node_id, winner_key as label
    from records
    where company_name_normalized is not null
        or company_domain is not null
        or corporate_number is not null
        or node_id in (select left_node_id from deterministic)
        or node_id in (select right_node_id from deterministic)
),

all_edges as (
    select * from deterministic
    union all
    select * from probabilistic
),

edges as (
    select all_edges.*
    from all_edges
    inner join nodes as l on all_edges.left_node_id = l.node_id
    inner join nodes as r on all_edges.right_node_id = r.node_id
),

{{ connected_components('nodes', 'edges', prefix='merged', passes=12) }},

conflicted as (
    -- components holding two corporate numbers: their probabilistic merges are undone
    select merged_final.label
    from merged_final
    inner join records on merged_final.node_id = records.node_id
    group by merged_final.label
    having count(distinct records.corporate_number) > 1
),

safe_edges as (
    select edges.*
    from edges
    left join merged_final on edges.left_node_id = merged_final.node_id
    where edges.matched_by <> 'probabilistic'
        or merged_final.label not in (select label from conflicted)
),

{{ connected_components('nodes', 'safe_edges', prefix='cc', passes=12) }},

node_rules as (
    select node_id, matched_by, match_probability,
        case matched_by
            when 'salesforce_link' then 1
            when 'marketo_sfdc_link' then 2
            when 'corporate_number' then 3
            when 'domain_phone' then 4
            else 5
        end as rule_rank
    from (
        select left_node_id as node_id, matched_by, match_probability from safe_edges
        union all
        select right_node_id, matched_by, match_probability from safe_edges
    ) as ends
),

best_rule as (
    select node_id, matched_by, match_probability
    from node_rules
    qualify row_number() over (
        partition by node_id order by rule_rank, match_probability desc
    ) = 1
)

select
    records.source_system,
    records.source_id,
    case
        when cc_final.label is not null
            then 'acc_' || left({{ dbt.hash(dbt.split_part('cc_final.label', "'|'", 3)) }}, 16)
    end as account_id,
    case
        when cc_final.label is null then 'none'
        when records.node_id = {{ dbt.split_part('cc_final.label', "'|'", 3) }} then 'anchor'
        else coalesce(best_rule.matched_by, 'anchor')
    end as matched_by,
    cast(case
        when cc_final.label is null then null
        when records.node_id = {{ dbt.split_part('cc_final.label', "'|'", 3) }} then 1.0
        else coalesce(best_rule.match_probability, 1.0)
    end as {{ type_double() }}) as match_probability,
    'acc_' || left({{ dbt.hash("records.node_id") }}, 16) as record_account_id
from records
left join cc_final on records.node_id = cc_final.node_id
left join best_rule on records.node_id = best_rule.node_id
