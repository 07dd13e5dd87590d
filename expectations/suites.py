"""What "good data" means for revloop, written as Great Expectations 1.x suites in code.

One suite per warehouse table that matters: the raw tables the loaders write (so a broken
extract stops the build before dbt) and the public marts plus the reverse-ETL payloads (so a
broken build never reaches the CRM). A suite is named after its table (``schema.table``);
the runner reads only the columns a suite mentions, so even large raw tables stay cheap.

Thresholds (``mostly``) encode what the sources really look like: vendor extracts carry a
few malformed e-mails, so format checks tolerate a small share, while keys must be perfect.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import great_expectations as gx
from great_expectations.expectations import Expectation

# The unified event log's vocabulary is the dbt seed ``event_types`` (RevOps own it); this
# tuple is only the fallback for a checkout without the seed (domain.md's list).
EVENT_TYPES_SEED = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "event_types.csv"
EVENT_TYPES: tuple[str, ...] = (
    "ad_click",
    "page_view",
    "pricing_page_view",
    "comparison_page_view",
    "content_download",
    "form_submission",
    "webinar_registration",
    "webinar_attendance",
    "email_send",
    "email_delivered",
    "email_bounce",
    "email_open",
    "email_click",
    "email_reply",
    "email_unsubscribe",
    "inside_sales_call",
    "sales_email",
    "sales_task",
    "meeting",
    "quote_sent",
    "lead_created",
    "mql",
    "sal",
    "sql",
    "opportunity_created",
    "stage_change",
    "closed_won",
    "closed_lost",
    "renewal",
    "expansion",
    "churn",
    "campaign_response",
    "login",
    "session_start",
    "first_visit",
)


def event_types(seed: Path = EVENT_TYPES_SEED) -> list[str]:
    """The accepted ``fct_events.event_type`` values: the seed's, else the fallback tuple."""
    if seed.exists():
        with seed.open(encoding="utf-8", newline="") as fh:
            values = [
                row["event_type"].strip() for row in csv.DictReader(fh) if row.get("event_type")
            ]
        if values:
            return values
    return list(EVENT_TYPES)


GA4_EVENT_NAMES: tuple[str, ...] = (
    "page_view",
    "session_start",
    "first_visit",
    "generate_lead",
    "file_download",
    "form_submit",
    "login",
    "user_engagement",
    "scroll",
    "click",
)

# A pragmatic e-mail shape: something@domain.tld. Raw keeps what the vendor sent, padding and
# case included (staging trims and lower-cases), so surrounding whitespace is tolerated here.
EMAIL_REGEX = r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$"


@dataclass(frozen=True)
class SuiteSpec:
    """A table and the expectations that must hold on it."""

    name: str
    table: str
    build: Callable[[], list[Expectation]]

    def expectations(self) -> list[Expectation]:
        return self.build()

    def columns(self) -> list[str]:
        """Columns the suite reads (so the runner selects only these)."""
        cols: list[str] = []
        for exp in self.build():
            for key in ("column", "column_A", "column_B"):
                value = getattr(exp, key, None)
                if isinstance(value, str) and value not in cols:
                    cols.append(value)
            for value in getattr(exp, "column_list", None) or []:
                if value not in cols:
                    cols.append(value)
        return cols


E = gx.expectations


def _raw_ga4_events() -> list[Expectation]:
    return [
        E.ExpectColumnValuesToNotBeNull(column="event_timestamp"),
        E.ExpectColumnValuesToNotBeNull(column="user_pseudo_id"),
        E.ExpectColumnValuesToBeInSet(column="event_name", value_set=list(GA4_EVENT_NAMES)),
    ]


def _raw_salesforce_lead() -> list[Expectation]:
    # Raw keeps every version of a record: Id is unique per (Id, SystemModstamp) version.
    return [
        E.ExpectColumnValuesToNotBeNull(column="Id"),
        E.ExpectCompoundColumnsToBeUnique(column_list=["Id", "SystemModstamp"]),
        E.ExpectColumnValuesToMatchRegex(column="Email", regex=EMAIL_REGEX, mostly=0.95),
    ]


def _raw_salesforce_contact() -> list[Expectation]:
    return [
        E.ExpectColumnValuesToNotBeNull(column="Id"),
        E.ExpectCompoundColumnsToBeUnique(column_list=["Id", "SystemModstamp"]),
        E.ExpectColumnValuesToMatchRegex(column="Email", regex=EMAIL_REGEX, mostly=0.95),
    ]


def _raw_salesforce_account() -> list[Expectation]:
    return [
        E.ExpectColumnValuesToNotBeNull(column="Id"),
        E.ExpectCompoundColumnsToBeUnique(column_list=["Id", "SystemModstamp"]),
    ]


def _raw_salesforce_opportunity() -> list[Expectation]:
    return [
        E.ExpectColumnValuesToNotBeNull(column="Id"),
        E.ExpectCompoundColumnsToBeUnique(column_list=["Id", "SystemModstamp"]),
        E.ExpectColumnValuesToBeBetween(column="Amount", min_value=0, mostly=0.99),
    ]


def _raw_marketo_leads() -> list[Expectation]:
    return [
        E.ExpectColumnValuesToNotBeNull(column="id"),
        E.ExpectCompoundColumnsToBeUnique(column_list=["id", "updatedAt"]),
        E.ExpectColumnValuesToMatchRegex(column="email", regex=EMAIL_REGEX, mostly=0.95),
    ]


def _raw_marketo_activities() -> list[Expectation]:
    return [
        E.ExpectColumnValuesToNotBeNull(column="marketoGUID"),
        E.ExpectColumnValuesToNotBeNull(column="leadId"),
        E.ExpectColumnValuesToNotBeNull(column="activityDate"),
    ]


def _marts_dim_people() -> list[Expectation]:
    return [
        E.ExpectColumnValuesToNotBeNull(column="person_id"),
        E.ExpectColumnValuesToBeUnique(column="person_id"),
        E.ExpectColumnValuesToNotBeNull(column="has_marketing_consent"),
    ]


def _marts_dim_accounts() -> list[Expectation]:
    return [
        E.ExpectColumnValuesToNotBeNull(column="account_id"),
        E.ExpectColumnValuesToBeUnique(column="account_id"),
    ]


def _marts_fct_events() -> list[Expectation]:
    return [
        E.ExpectColumnValuesToNotBeNull(column="event_id"),
        E.ExpectColumnValuesToBeUnique(column="event_id"),
        E.ExpectColumnValuesToNotBeNull(column="occurred_at"),
        E.ExpectColumnValuesToBeInSet(column="event_type", value_set=event_types()),
    ]


def _marts_fct_lead_scores() -> list[Expectation]:
    return [
        E.ExpectColumnValuesToNotBeNull(column="person_id"),
        E.ExpectColumnValuesToBeUnique(column="person_id"),
        E.ExpectColumnValuesToNotBeNull(column="score"),
    ]


SUITES: dict[str, SuiteSpec] = {
    spec.name: spec
    for spec in (
        SuiteSpec("raw.ga4__events", "raw.ga4__events", _raw_ga4_events),
        SuiteSpec("raw.salesforce__lead", "raw.salesforce__lead", _raw_salesforce_lead),
        SuiteSpec("raw.salesforce__contact", "raw.salesforce__contact", _raw_salesforce_contact),
        SuiteSpec("raw.salesforce__account", "raw.salesforce__account", _raw_salesforce_account),
        SuiteSpec(
            "raw.salesforce__opportunity",
            "raw.salesforce__opportunity",
            _raw_salesforce_opportunity,
        ),
        SuiteSpec("raw.marketo__leads", "raw.marketo__leads", _raw_marketo_leads),
        SuiteSpec("raw.marketo__activities", "raw.marketo__activities", _raw_marketo_activities),
        SuiteSpec("marts.dim_people", "marts.dim_people", _marts_dim_people),
        SuiteSpec("marts.dim_accounts", "marts.dim_accounts", _marts_dim_accounts),
        SuiteSpec("marts.fct_events", "marts.fct_events", _marts_fct_events),
        SuiteSpec("marts.fct_lead_scores", "marts.fct_lead_scores", _marts_fct_lead_scores),
    )
}


def payload_suite(table: str, key_columns: list[str]) -> SuiteSpec:
    """Suite for a reverse-ETL payload (``reverse_etl.sync_<crm>__<object>``).

    The CRM upsert is keyed by these columns, so a null or duplicated key would either be
    rejected by the API or overwrite the wrong record: both must stop the sync.
    """

    def build() -> list[Expectation]:
        exps: list[Expectation] = [E.ExpectColumnValuesToNotBeNull(column=c) for c in key_columns]
        if len(key_columns) == 1:
            exps.append(E.ExpectColumnValuesToBeUnique(column=key_columns[0]))
        elif key_columns:
            exps.append(E.ExpectCompoundColumnsToBeUnique(column_list=list(key_columns)))
        return exps

    return SuiteSpec(table, table, build)


def suite_for(name: str, key_columns: list[str] | None = None) -> SuiteSpec:
    """The suite called ``name``; ``reverse_etl.*`` names get a payload suite on the fly."""
    if name in SUITES:
        return SUITES[name]
    if name.startswith("reverse_etl."):
        return payload_suite(name, key_columns or [])
    known = ", ".join(sorted(SUITES))
    raise KeyError(
        f"unknown expectation suite {name!r}; known suites: {known}, reverse_etl.<model>"
    )
