{#- One row per person with the account the person belongs to. dim_people holds the same
    fact but reads our lifecycle stages, so the event log resolves accounts itself from
    identity resolution (int_person_identities): a contact's account wins over a Salesforce
    lead's matched account, which wins over a Marketo lead's. -#}
with bridge as (
    select * from {{ ref('int_person_identities') }}
),

account_identities as (
    select * from {{ ref('int_account_identities') }}
),

contacts as (
    select * from {{ ref('stg_salesforce__contacts') }}
),

candidates as (
    select bridge.person_id, account_identities.account_id, 1 as priority, bridge.source_id
    from bridge
    inner join contacts on bridge.source_id = contacts.contact_id
    inner join account_identities
        on account_identities.source_system = 'salesforce_account'
        and account_identities.source_id = contacts.account_id
    where bridge.source_system = 'salesforce_contact'

    union all

    select bridge.person_id, account_identities.account_id, 2 as priority, bridge.source_id
    from bridge
    inner join account_identities
        on account_identities.source_system = 'salesforce_lead'
        and account_identities.source_id = bridge.source_id
    where bridge.source_system = 'salesforce_lead'

    union all

    select bridge.person_id, account_identities.account_id, 3 as priority, bridge.source_id
    from bridge
    inner join account_identities
        on account_identities.source_system = 'marketo_lead'
        and account_identities.source_id = bridge.source_id
    where bridge.source_system = 'marketo_lead'
)

select person_id, account_id
from candidates
where account_id is not null
qualify row_number() over (partition by person_id order by priority, source_id) = 1
