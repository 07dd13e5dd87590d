{#- The resolved account of every company-naming source record (Salesforce account,
    Salesforce lead, Marketo lead). Deterministic rules, strongest first:
    - salesforce_link: a converted lead's ConvertedAccountId, a Marketo lead's synced
      contact's AccountId;
    - corporate_number: same 13-digit 法人番号;
    - domain_phone: same corporate web domain and same phone (one company, several
      departments or several Salesforce accounts, is one account);
    - domain: same corporate web domain (free-mail never counts);
    - company_name: same normalised company name (legal forms, width, case, spaces removed);
    - phone: same normalised phone (a company's main number; links the free-mail leads that
      left the company blank).
    Each key links the records sharing it to the key group's first record; connected
    components give account_id = 'acc_' + md5 prefix of the winning record (a Salesforce
    account over a lead over a Marketo lead, then the oldest). Records without a match stay
    alone when they name a company, and get no account otherwise (a lone phone or a
    free-mail address names no company). -#}
with records as (
    select * from {{ ref('int_account_records') }}
),

keyed as (
    select node_id, 'corporate_number' as matched_by, corporate_number as match_key
    from records where corporate_number is not null
    union all
    select node_id, 'domain_phone', company_domain || '|' || phone_normalized
    from records where company_domain is not null and phone_normalized is not null
    union all
    select node_id, 'domain', company_domain
    from records where company_domain is not null
    union all
    select node_id, 'company_name', company_name_normalized
    from records where company_name_normalized is not null
    union all
    select node_id, 'phone', phone_normalized
    from records where phone_normalized is not null
),

key_edges as (
    select
        min(node_id) over (partition by matched_by, match_key) as left_node_id,
        node_id as right_node_id,
        matched_by
    from keyed
),

link_edges as (
    select
        records.node_id as left_node_id,
        'salesforce_account:' || records.linked_salesforce_account_id as right_node_id,
        'salesforce_link' as matched_by
    from records
    inner join records as accounts
        on accounts.node_id = 'salesforce_account:' || records.linked_salesforce_account_id
    where records.linked_salesforce_account_id is not null
),

match_edges as (
    select * from key_edges where left_node_id <> right_node_id
    union all
    select * from link_edges
),

nodes as (
    select node_id, winner_key as label
    from records
    where company_name_normalized is not null
        or company_domain is not null
        or corporate_number is not null
        or linked_salesforce_account_id is not null
        or node_id in (select left_node_id from match_edges)
        or node_id in (select right_node_id from match_edges)
),

{{ connected_components('nodes', 'match_edges', prefix='cc', passes=10) }},

node_rules as (
    select node_id, matched_by,
        case matched_by
            when 'salesforce_link' then 1
            when 'corporate_number' then 2
            when 'domain_phone' then 3
            when 'domain' then 4
            when 'company_name' then 5
            else 6
        end as rule_rank
    from (
        select left_node_id as node_id, matched_by from match_edges
        union all
        select right_node_id, matched_by from match_edges
    )
),

best_rule as (
    select node_id, matched_by
    from node_rules
    qualify row_number() over (partition by node_id order by rule_rank) = 1
)

select
    records.source_system,
    records.source_id,
    case
        when cc_final.label is not null
            then 'acc_' || left(md5(split_part(cc_final.label, '|', 3)), 16)
    end as account_id,
    case
        when cc_final.label is null then 'none'
        when records.node_id = split_part(cc_final.label, '|', 3) then 'anchor'
        else coalesce(best_rule.matched_by, 'anchor')
    end as matched_by
from records
left join cc_final on records.node_id = cc_final.node_id
left join best_rule on records.node_id = best_rule.node_id
