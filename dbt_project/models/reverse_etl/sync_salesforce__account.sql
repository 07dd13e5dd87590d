{#- Payload of the Salesforce Account sync: one row per Salesforce account, keyed by its
    Id, carrying its resolved account's LTV figures (JPY) and churn risk (level, score and
    the top reason in words, fct_account_ltv). Company data carries no personal consent, so
    has_consent is always true.
    Several Salesforce accounts of one resolved account (one company, several departments
    or records): Revloop_Account_Id__c (a unique external id in the org) goes on the
    survivor only, the oldest account (CreatedDate, then Id); the others carry
    Revloop_Duplicate_Of__c = the survivor's Id (RevOps merges them with Salesforce's merge)
    and the same figures. -#}
with resolved as (
    select
        identities.source_id as salesforce_account_id,
        identities.account_id,
        row_number() over (
            partition by identities.account_id
            order by accounts.created_at asc nulls last, identities.source_id asc
        ) as account_rank,
        first_value(identities.source_id) over (
            partition by identities.account_id
            order by accounts.created_at asc nulls last, identities.source_id asc
        ) as survivor_id
    from {{ ref('int_account_identities') }} as identities
    inner join {{ ref('stg_salesforce__accounts') }} as accounts
        on identities.source_id = accounts.account_id
    where identities.source_system = 'salesforce_account'
)

select
    resolved.salesforce_account_id as Id,
    case when resolved.account_rank = 1 then ltv.account_id end as Revloop_Account_Id__c,
    case when resolved.account_rank > 1 then resolved.survivor_id end as Revloop_Duplicate_Of__c,
    ltv.predicted_ltv as Revloop_LTV__c,
    ltv.churn_risk as Revloop_Churn_Risk__c,
    ltv.revenue_to_date as Revloop_Revenue_To_Date__c,
    ltv.churn_risk_score as Revloop_Churn_Risk_Score__c,
    ltv.churn_risk_top_reason as Revloop_Churn_Risk_Reason__c,
    true as has_consent
from resolved
inner join {{ ref('fct_account_ltv') }} as ltv on resolved.account_id = ltv.account_id
