-- A failure means a person reached a lifecycle stage before an earlier one
-- (lead <= mql <= sal <= sql <= opportunity <= won must hold after back-fill): the
-- back-fill in fct_lifecycle_stages is broken and every funnel rate would be wrong.
select person_id, lead_at, mql_at, sal_at, sql_at, opportunity_at, won_at
from {{ ref('fct_lifecycle_stages') }}
where lead_at > mql_at
   or mql_at > sal_at
   or sal_at > sql_at
   or sql_at > opportunity_at
   or opportunity_at > won_at
   or (won_at is not null and opportunity_at is null)
   or (opportunity_at is not null and sql_at is null)
   or (sql_at is not null and sal_at is null)
   or (sal_at is not null and mql_at is null)
   or (mql_at is not null and lead_at is null)
