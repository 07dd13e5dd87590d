{#- Every source record that names a company: Salesforce accounts, Salesforce leads (the
    Company field) and Marketo leads (company), with the keys account matching uses.
    A person's corporate e-mail domain stands for the company's web domain; personal mail
    domains (free-mail, Internet providers, carriers: seed free_mail_domains) never do.
    `winner_key` sorts the record that names the account first: the OLDEST record (then a
    Salesforce account over a lead over a Marketo lead, then the node id), so the account
    id survives conversions and merges (see int_account_identities). -#}
with salesforce_accounts as (
    select * from {{ ref('stg_salesforce__accounts') }}
),

salesforce_leads as (
    select * from {{ ref('stg_salesforce__leads') }}
),

salesforce_contacts as (
    select * from {{ ref('stg_salesforce__contacts') }}
),

marketo_leads as (
    select * from {{ ref('stg_marketo__leads') }}
),

unioned as (
    select
        'salesforce_account' as source_system,
        account_id as source_id,
        1 as source_priority,
        account_name as company_name,
        company_name_normalized,
        domain as company_domain,
        phone_normalized,
        corporate_number,
        cast(null as {{ dbt.type_string() }}) as linked_salesforce_account_id,
        cast(null as {{ dbt.type_string() }}) as linked_salesforce_lead_id,
        created_at
    from salesforce_accounts

    union all

    select
        'salesforce_lead',
        lead_id,
        2,
        company_name,
        company_name_normalized,
        case
            when not {{ is_free_mail_domain('domain') }} then domain
            when not {{ is_free_mail_domain('website_domain') }} then website_domain
        end,
        phone_normalized,
        null,
        converted_account_id,
        null,
        created_at
    from salesforce_leads

    union all

    select
        'marketo_lead',
        marketo_leads.marketo_lead_id,
        3,
        marketo_leads.company_name,
        marketo_leads.company_name_normalized,
        case
            when not {{ is_free_mail_domain('marketo_leads.domain') }} then marketo_leads.domain
            when not {{ is_free_mail_domain('marketo_leads.website_domain') }}
                then marketo_leads.website_domain
        end,
        marketo_leads.phone_normalized,
        null,
        -- the account of the Salesforce contact Marketo's CRM sync stored
        salesforce_contacts.account_id,
        -- the Salesforce lead Marketo's CRM sync stored (the same lead, so the same company)
        marketo_leads.sfdc_lead_id,
        marketo_leads.created_at
    from marketo_leads
    left join salesforce_contacts
        on marketo_leads.sfdc_contact_id = salesforce_contacts.contact_id
),

named as (
    -- NFKC once per record: the legal-form lookup below compares against it
    select
        unioned.*,
        lower({{ normalize_text_nfkc('company_name') }}) as name_key
    from unioned
),

forms as (
    select
        lower({{ normalize_text_nfkc('legal_form') }}) as form_key,
        ' ' || trim({{ regex_replace_all('lower(legal_form)', "'[^a-z0-9]+'", "' '") }}) || ' '
            as form_words,
        script,
        form_group,
        length(legal_form) as form_length
    from {{ ref('legal_forms') }}
    where form_group is not null
),

record_forms as (
    -- the legal form group the name states (see macro company_legal_form_group): the
    -- longest matching form, Japanese forms anywhere, Latin forms as whole words (two
    -- forms of one length: the greater group name, so a rebuild picks the same)
    select
        named.source_system,
        named.source_id,
        {{ max_by('forms.form_group', legal_form_order_key('forms.form_length', 'forms.form_group')) }}
            as legal_form_group
    from named
    inner join forms
        on (forms.script = 'ja' and {{ dbt.position('forms.form_key', 'named.name_key') }} > 0)
        or (
            forms.script = 'latin'
            and {{ dbt.position(
                'forms.form_words',
                "' ' || trim(" ~ regex_replace_all('named.name_key', "'[^a-z0-9]+'", "' '") ~ ") || ' '"
            ) }} > 0
        )
    where named.name_key is not null
    group by named.source_system, named.source_id
)

select
    named.source_system || ':' || named.source_id as node_id,
    named.source_system,
    named.source_id,
    coalesce({{ timestamp_key('named.created_at') }}, '99999999999999') || '|' || named.source_priority
    || '|' || named.source_system || ':' || named.source_id as winner_key,
    named.company_name,
    named.company_name_normalized,
    record_forms.legal_form_group,
    named.company_domain,
    named.phone_normalized,
    named.corporate_number,
    named.linked_salesforce_account_id,
    named.linked_salesforce_lead_id,
    named.created_at
from named
left join record_forms
    on named.source_system = record_forms.source_system
    and named.source_id = record_forms.source_id
