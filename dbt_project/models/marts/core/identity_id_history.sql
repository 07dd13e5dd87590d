{#- Retired ids and the id that survives them, for people and accounts: what a CRM
    field, a dashboard filter or a sync state keyed on an older id must be re-pointed to.
    Survivorship (int_person_identities, int_account_identities): a person or an account is
    named after its OLDEST source record, so conversion never changes an id, and when
    records merge the merged entity keeps the oldest record's id. Every other record of
    the entity names the id it would have had as its own oldest record: that id is
    retired and maps here to the surviving id (a superset of the ids ever published, since
    any of them could have been the oldest record of a smaller group before a merge).
    Stateless and reproducible: rebuilt from the same sources, it gives the same map. -#}
select
    'person' as entity_type,
    record_person_id as retired_id,
    person_id as surviving_id,
    source_system,
    source_id
from {{ ref('int_person_identities') }}
where record_person_id <> person_id

union all

select
    'account',
    record_account_id,
    account_id,
    source_system,
    source_id
from {{ ref('int_account_identities') }}
where account_id is not null
  and record_account_id <> account_id
