{#- The people whose touches count for an opportunity (var attribution_opportunity_scope):
    `contact_roles` (default): every contact role of the opportunity and the lead converted
    into it (int_person_opportunities); `account`: every person of the opportunity's
    resolved account (int_person_accounts.account_id), for account-based marketing. -#}
{%- set scope = var('attribution_opportunity_scope', 'contact_roles') -%}
{%- if scope not in ['contact_roles', 'account'] -%}
  {{ exceptions.raise_compiler_error(
      "var attribution_opportunity_scope must be 'contact_roles' or 'account', got '" ~ scope ~ "'") }}
{%- endif -%}
{%- if scope == 'account' %}
select distinct opportunities.opportunity_id, people.person_id
from {{ ref('int_opportunities_enriched') }} as opportunities
inner join {{ ref('int_person_accounts') }} as people on opportunities.account_id = people.account_id
{%- else %}
select distinct opportunity_id, person_id
from {{ ref('int_person_opportunities') }}
where person_id is not null
{%- endif %}
