{#- Payload of the Salesforce Account sync: one row per Salesforce account, keyed by its
    Id, carrying its resolved account's LTV figures (JPY) and churn risk (level, score and
    the top reason in words, fct_account_ltv). Company data carries no
    personal consent, so has_consent is always true. -#}
select
    identities.source_id as Id,
    ltv.account_id as Revloop_Account_Id__c,
    ltv.predicted_ltv as Revloop_LTV__c,
    ltv.churn_risk as Revloop_Churn_Risk__c,
    ltv.revenue_to_date as Revloop_Revenue_To_Date__c,
    ltv.churn_risk_score as Revloop_Churn_Risk_Score__c,
    ltv.churn_risk_top_reason as Revloop_Churn_Risk_Reason__c,
    true as has_consent
from {{ ref('int_account_identities') }} as identities
inner join {{ ref('stg_salesforce__accounts') }} as accounts
    on identities.source_id = accounts.account_id
inner join {{ ref('fct_account_ltv') }} as ltv on identities.account_id = ltv.account_id
where identities.source_system = 'salesforce_account'
