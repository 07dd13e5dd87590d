"""What "good data" means beyond the contracts, written as Great Expectations 1.x suites.

The contracts (``connectors/contracts``) own schema, types, required fields, allowed values
and duplicate rules, and the loaders enforce them row by row; dbt owns keys (``unique``,
``not_null``, ``accepted_values``) on the models. These suites hold only what neither can
say: distributions (``mostly``), cross-field rules and the business invariants of the marts.
Every expectation carries its meaning as ``description`` (one line: what a failure means,
shown in the gate's message and in Data Docs) and a severity: GX ``critical`` = revloop
``error`` (blocks publishing and the sync), ``warning`` = ``warn`` (reported, passes).

Raw suites run on the batch just loaded (``scope="batch"``: rows whose ``_batch_id`` is the
loader's batch of this run); mart and payload suites run on the whole built table. Either
way GX runs as SQL inside DuckDB (``expectations/gx_duckdb.py``): nothing is copied out.
Derived columns (``derived``) are SQL expressions the suite's query adds to the table's own
columns, so a cross-field rule can still use GX's ``mostly`` semantics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import great_expectations as gx
from great_expectations.expectations import Expectation

E = gx.expectations
ERROR = "critical"
WARN = "warning"
SEVERITY_NAMES = {ERROR: "error", WARN: "warn"}

# GA4's own event names: automatically collected, enhanced measurement and the recommended
# lead-generation / all-properties events (Google's GA4 event reference). A real property
# emits these without anyone configuring them; only names outside this list are "new".
GA4_EVENT_NAMES: tuple[str, ...] = (
    # automatically collected (web)
    "first_visit",
    "session_start",
    "user_engagement",
    "page_view",
    # enhanced measurement
    "scroll",
    "click",
    "view_search_results",
    "video_start",
    "video_progress",
    "video_complete",
    "file_download",
    "form_start",
    "form_submit",
    # recommended: all properties and lead generation
    "login",
    "sign_up",
    "search",
    "share",
    "select_content",
    "select_promotion",
    "view_promotion",
    "generate_lead",
    "qualify_lead",
    "disqualify_lead",
    "working_lead",
    "close_convert_lead",
    "close_unconvert_lead",
)

# Marketo's standard activity type ids that stg_marketo__activities maps to names; a
# subscription may use more, which staging keeps under their id only.
MARKETO_ACTIVITY_TYPES: tuple[int, ...] = (1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 22, 46, 104)

# A pragmatic e-mail shape; raw keeps the vendor's padding and case (staging trims).
EMAIL_REGEX = r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$"

ATTRIBUTION_MODELS: tuple[str, ...] = (
    "first_touch",
    "last_touch",
    "linear",
    "time_decay",
    "u_shaped",
    "w_shaped",
    "full_path",
    "markov",
    "shapley",
)

# Columns the loaders add to every raw table (connectors/load/validate.py).
RAW_META_COLUMNS = (
    "_extra",
    "_source_file",
    "_row_number",
    "_loaded_at",
    "_batch_id",
    "_superseded_at",
)


@dataclass(frozen=True)
class SuiteSpec:
    """A table, the scope validated, and the expectations that must hold on it.

    ``requires``: columns the suite reads; a missing one is reported by name (a suite that
    silently skips a rule would pass vacuously). ``built_by``: which issue/model builds a
    mart that may not exist yet, for the "table not built yet" message.
    """

    name: str
    table: str
    build: Callable[[], list[Expectation]]
    scope: str = "table"  # "batch" | "table"
    derived: dict[str, str] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    built_by: str = ""

    def expectations(self) -> list[Expectation]:
        return self.build()

    def query(self) -> str:
        """The SQL the suite validates: the table plus its derived columns."""
        extra = "".join(f", {expr} AS {_q(name)}" for name, expr in self.derived.items())
        return f"SELECT *{extra} FROM {quote_table(self.table)}"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_table(table: str) -> str:
    return ".".join(_q(part) for part in table.split("."))


def _conflicting_versions(table: str, key: tuple[str, ...], content: tuple[str, ...]) -> str:
    """Rows of the batch whose key (record id + version stamp) exists in raw with different
    content. Identical re-deliveries (an overlapping incremental pull) are one version, and
    rows of a superseded delivery (a file re-delivered at the same path) are not compared:
    staging reads only the newest delivery, so a corrected re-delivery is not a conflict."""
    keys = ", ".join(_q(c) for c in key)
    join = " AND ".join(f"r.{_q(c)} = b.{_q(c)}" for c in key)
    content_hash = "hash(" + ", ".join(f"r.{_q(c)}" for c in content) + ")"
    selected = ", ".join(f"b.{_q(c)}" for c in key)
    return (
        f"SELECT {selected}, count(DISTINCT {content_hash}) AS versions "
        f"FROM (SELECT DISTINCT {keys} FROM {{batch}}) b "
        f"JOIN {quote_table(table)} r ON {join} AND r._superseded_at IS NULL "
        f"GROUP BY ALL HAVING count(DISTINCT {content_hash}) > 1"
    )


def _contract_content(table: str, key: tuple[str, ...]) -> tuple[str, ...]:
    """The contract's columns of ``raw.<table>`` (the record's content, without load meta)."""
    from connectors.contracts import load_contracts

    source, entity = table.split(".", 1)[1].split("__", 1)
    for contract in load_contracts(source):
        if contract.entity == entity:
            return tuple(c for c in contract.column_names if c not in key)
    raise KeyError(f"no contract for {table}")


# --- raw: the batch just loaded ---------------------------------------------------------


def _raw_ga4_events() -> list[Expectation]:
    return [
        E.ExpectColumnValuesToBeInSet(
            column="event_name",
            value_set=list(GA4_EVENT_NAMES),
            mostly=0.95,
            severity=WARN,
            description="More than 5% of the new GA4 events have names outside GA4's "
            "automatic/enhanced/recommended list: the tracking plan changed; the new names "
            "are kept in raw but map to no event type until channel/event seeds learn them.",
        ),
        E.ExpectColumnValuesToBeInSet(
            column="page_view_lacks_location",
            value_set=[False],
            mostly=0.99,
            severity=ERROR,
            description="page_view events without a page_location parameter: pricing/"
            "comparison pages and UTM channels cannot be derived (tag or export broken).",
        ),
        E.ExpectColumnValuesToBeBetween(
            column="event_day_gap",
            min_value=0,
            max_value=1,
            mostly=0.99,
            severity=ERROR,
            description="event_timestamp and event_date disagree by more than a day: the "
            "timestamp unit changed (GA4 sends microseconds) or the file holds other days.",
        ),
    ]


_GA4_DERIVED = {
    "page_view_lacks_location": (
        "event_name = 'page_view' AND coalesce(list_filter(event_params, "
        "lambda p: p.key = 'page_location')[1].value.string_value, '') = ''"
    ),
    "event_day_gap": (
        "abs(date_diff('day', event_date, CAST(make_timestamp(event_timestamp) AS DATE)))"
    ),
}


def _email_shape(column: str) -> Expectation:
    return E.ExpectColumnValuesToMatchRegex(
        column=column,
        regex=EMAIL_REGEX,
        mostly=0.95,
        severity=ERROR,
        description=f"More than 5% of new {column} values are not e-mail shaped: identity "
        "resolution loses its main key for them (export mangled the column?).",
    )


def _versioned_sf(
    table: str, extra: Callable[[], list[Expectation]] = list
) -> Callable[[], list[Expectation]]:
    """Builder of a versioned Salesforce suite; ``extra`` builds its further rules (fresh
    objects every time: GX binds an expectation to the suite it is saved in)."""
    key = ("Id", "SystemModstamp")

    def build() -> list[Expectation]:
        return [
            E.UnexpectedRowsExpectation(
                unexpected_rows_query=_conflicting_versions(
                    table, key, _contract_content(table, key)
                ),
                severity=ERROR,
                description="The same record version (Id, SystemModstamp) arrived with "
                "different field values: staging cannot tell which is true (identical "
                "re-deliveries of an overlapping pull are fine and count once).",
            ),
            *extra(),
        ]

    return build


def _raw_salesforce_opportunity() -> list[Expectation]:
    return [
        *_versioned_sf("raw.salesforce__opportunity")(),
        E.ExpectColumnValuesToBeBetween(
            column="Amount",
            min_value=0,
            mostly=0.99,
            severity=ERROR,
            description="Negative opportunity amounts: pipeline and revenue totals would "
            "shrink (credit notes or a sign flip in the export).",
        ),
        E.ExpectColumnValuesToBeInSet(
            column="won_but_open",
            value_set=[False],
            severity=ERROR,
            description="IsWon without IsClosed: Salesforce never sends this; the fields "
            "are shifted or mapped wrongly, so win rates would be wrong.",
        ),
        E.ExpectColumnValuesToBeInSet(
            column="won_without_amount",
            value_set=[False],
            mostly=0.95,
            severity=ERROR,
            description="More than 5% of new won opportunities carry no Amount: closed "
            "revenue and attribution revenue would silently drop.",
        ),
        E.ExpectColumnValuesToBeBetween(
            column="Probability",
            min_value=0,
            max_value=100,
            severity=ERROR,
            description="Probability outside 0-100: the field is not Salesforce's "
            "percentage (a 0-1 fraction or another field mapped in).",
        ),
    ]


_SF_OPPORTUNITY_DERIVED = {
    "won_but_open": 'coalesce("IsWon", false) AND NOT coalesce("IsClosed", false)',
    "won_without_amount": 'coalesce("IsWon", false) AND "Amount" IS NULL',
}


def _raw_marketo_leads() -> list[Expectation]:
    key = ("id", "updatedAt")
    return [
        E.UnexpectedRowsExpectation(
            unexpected_rows_query=_conflicting_versions(
                "raw.marketo__leads", key, _contract_content("raw.marketo__leads", key)
            ),
            severity=ERROR,
            description="The same lead version (id, updatedAt) arrived with different "
            "values: staging cannot tell which is true (identical re-exports count once).",
        ),
        _email_shape("email"),
    ]


def _raw_marketo_activities() -> list[Expectation]:
    return [
        E.ExpectColumnValuesToBeInSet(
            column="activityTypeId",
            value_set=list(MARKETO_ACTIVITY_TYPES),
            mostly=0.95,
            severity=WARN,
            description="More than 5% of new activities have a type id staging does not "
            "map: they reach the event log as 'other' (new Marketo channel or program?).",
        ),
    ]


def _clicks_within_impressions(clicks: str, impressions: str, source: str) -> Expectation:
    return E.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=impressions,
        column_B=clicks,
        or_equal=True,
        mostly=0.999,
        severity=ERROR,
        description=f"{source} rows with more clicks than impressions: the metric columns "
        "are swapped or mis-parsed, so CTR and cost per click would be nonsense.",
    )


def _non_negative(column: str, source: str) -> Expectation:
    return E.ExpectColumnValuesToBeBetween(
        column=column,
        min_value=0,
        severity=ERROR,
        description=f"Negative {source} spend: ROAS and cost per conversion would be wrong "
        "(refund rows or a sign flip).",
    )


def _raw_google_ads_campaign() -> list[Expectation]:
    return [
        _clicks_within_impressions("metrics.clicks", "metrics.impressions", "Google Ads"),
        _non_negative("metrics.cost_micros", "Google Ads"),
    ]


def _raw_meta_ads_insights() -> list[Expectation]:
    return [
        _clicks_within_impressions("clicks", "impressions", "Meta"),
        _non_negative("spend", "Meta"),
    ]


def _raw_linkedin_ads_analytics() -> list[Expectation]:
    return [
        _clicks_within_impressions("clicks", "impressions", "LinkedIn"),
        _non_negative("costInLocalCurrency", "LinkedIn"),
    ]


# --- marts: the built tables ------------------------------------------------------------


def _marts_fct_events() -> list[Expectation]:
    return [
        E.ExpectColumnValuesToNotBeInSet(
            column="channel",
            value_set=["Other"],
            mostly=0.8,
            severity=WARN,
            description="More than 20% of events fall into channel 'Other': the "
            "channel_mapping seed does not know a new source/medium (attribution blurs).",
        ),
        E.ExpectColumnValuesToNotBeNull(
            column="identity",
            mostly=0.99,
            severity=ERROR,
            description="Events with neither person_id nor anonymous_id: they can never "
            "join a journey, so attribution and scoring lose them.",
        ),
    ]


_FCT_EVENTS_DERIVED = {"identity": "coalesce(person_id, anonymous_id)"}


def _marts_fct_opportunities() -> list[Expectation]:
    return [
        E.ExpectColumnValuesToBeInSet(
            column="won_but_open",
            value_set=[False],
            severity=ERROR,
            description="Won opportunities that are not closed: win rate and velocity "
            "would count them twice.",
        ),
        E.ExpectColumnValuesToBeBetween(
            column="sales_cycle_days",
            min_value=0,
            severity=ERROR,
            description="Negative sales cycles (closed before created): velocity and cycle "
            "benchmarks would be wrong.",
        ),
        E.ExpectColumnValuesToBeInSet(
            column="won_without_amount",
            value_set=[False],
            mostly=0.95,
            severity=ERROR,
            description="More than 5% of won opportunities have no amount: revenue, LTV "
            "and attributed revenue drop silently.",
        ),
    ]


_FCT_OPPORTUNITIES_DERIVED = {
    "won_but_open": "coalesce(is_won, false) AND NOT coalesce(is_closed, false)",
    "won_without_amount": "coalesce(is_won, false) AND amount IS NULL",
}


def _marts_fct_lead_scores() -> list[Expectation]:
    return [
        E.ExpectColumnMaxToBeBetween(
            column="grade_share",
            max_value=0.9,
            severity=WARN,
            description="One grade holds more than 90% of people: the scoring rules "
            "stopped separating leads (a seed or a source field changed).",
        ),
    ]


# the share of the table that has this row's grade
_FCT_LEAD_SCORES_DERIVED = {
    "grade_share": "count(*) OVER (PARTITION BY grade) / count(*) OVER ()",
}


def _marts_fct_attribution() -> list[Expectation]:
    return [
        E.UnexpectedRowsExpectation(
            unexpected_rows_query=(
                "SELECT conversion_id, conversion_type, model, sum(credit) AS credits "
                "FROM {batch} GROUP BY ALL HAVING abs(sum(credit) - 1) > 1e-6"
            ),
            severity=ERROR,
            description="Credits of one conversion under one model do not sum to 1: "
            "channels would be over- or under-credited (double-counted touchpoints?).",
        ),
        E.ExpectColumnValuesToBeBetween(
            column="credit",
            min_value=0,
            max_value=1,
            severity=ERROR,
            description="A credit outside 0-1: a negative or inflated share of a conversion.",
        ),
        E.UnexpectedRowsExpectation(
            unexpected_rows_query=(
                "SELECT conversion_id, conversion_type, "
                "max(revenue) - min(revenue) AS spread FROM ("
                "SELECT conversion_id, conversion_type, model, sum(revenue_credit) AS revenue "
                "FROM {batch} GROUP BY ALL) GROUP BY ALL "
                "HAVING max(revenue) - min(revenue) > 0.01 * greatest(1, abs(max(revenue)))"
            ),
            severity=ERROR,
            description="Models credit different revenue to the same conversion: every "
            "model must split exactly the conversion's revenue.",
        ),
        E.ExpectColumnValuesToBeInSet(
            column="model",
            value_set=list(ATTRIBUTION_MODELS),
            severity=ERROR,
            description="A model name outside interfaces.md's list: dashboards filter by "
            "these names and would drop the rows.",
        ),
    ]


def _marts_mart_funnel() -> list[Expectation]:
    """The funnel's invariants per cut (funnel, basis, dimension, dimension_value, cohort).

    Only the cohort bases follow one population: a period count (basis ``period``) may
    convert more in a month than entered it, so its rows are left out of the first and last
    rule; the chain rule holds for ``funnel_cohort`` (one entry cohort followed down the
    funnel), not for stage cohorts (each stage's own entry month is another population).
    """
    return [
        E.UnexpectedRowsExpectation(
            unexpected_rows_query=(
                "SELECT funnel, basis, dimension, dimension_value, cohort_month, from_stage, "
                "to_stage, entered, converted FROM {batch} "
                "WHERE basis <> 'period' AND converted > entered"
            ),
            severity=ERROR,
            description="More people converted than entered a stage transition of one "
            "cohort: the funnel counts different populations at its two ends.",
        ),
        E.UnexpectedRowsExpectation(
            unexpected_rows_query=(
                "SELECT a.funnel, a.dimension, a.dimension_value, a.cohort_month, a.from_stage, "
                "a.to_stage, a.entered AS upper_entered, b.to_stage AS next_stage, "
                "b.entered AS lower_entered "
                "FROM {batch} a JOIN {batch} b ON a.funnel = b.funnel AND a.basis = b.basis "
                "AND a.dimension = b.dimension "
                "AND a.dimension_value IS NOT DISTINCT FROM b.dimension_value "
                "AND a.cohort_month = b.cohort_month AND b.from_stage = a.to_stage "
                "WHERE a.basis = 'funnel_cohort' AND b.entered > a.entered"
            ),
            severity=ERROR,
            description="A later funnel stage has more people than the stage before it in "
            "the same entry cohort: funnel counts must never grow downward.",
        ),
        E.UnexpectedRowsExpectation(
            unexpected_rows_query=(
                "SELECT funnel, basis, dimension, dimension_value, cohort_month, from_stage, "
                "conversion_rate FROM {batch} WHERE basis <> 'period' "
                "AND (conversion_rate < 0 OR conversion_rate > 1)"
            ),
            severity=ERROR,
            description="A cohort conversion rate outside 0-1.",
        ),
        E.ExpectColumnValuesToBeBetween(
            column="median_days",
            min_value=0,
            severity=ERROR,
            description="Negative days between stages: stage timestamps are out of order.",
        ),
    ]


def _marts_mart_pipeline_velocity() -> list[Expectation]:
    return [
        E.ExpectColumnValuesToBeBetween(
            column="velocity_per_day",
            min_value=0,
            severity=ERROR,
            description="Negative pipeline velocity: a negative deal size, win rate or cycle "
            "slipped in.",
        ),
        E.ExpectColumnValuesToBeBetween(
            column="win_rate",
            min_value=0,
            max_value=1,
            severity=ERROR,
            description="A win rate outside 0-1.",
        ),
        E.ExpectColumnValuesToBeBetween(
            column="velocity_formula_gap",
            max_value=0.01,
            severity=ERROR,
            description="velocity_per_day differs from open x deal size x win rate / cycle "
            "days (domain.md): the parts and the total disagree.",
        ),
    ]


_VELOCITY_DERIVED = {
    "velocity_formula_gap": (
        "CASE WHEN avg_cycle_days > 0 THEN abs(velocity_per_day - open_opportunities * "
        "avg_deal_size * win_rate / avg_cycle_days) / greatest(1, abs(velocity_per_day)) END"
    )
}


def payload_suite(table: str, person_column: str) -> SuiteSpec:
    """Suite for a person-level reverse-ETL payload: consent is a hard rule.

    ``person_column`` holds revloop's person id; the payload's ``has_consent`` must never
    be true for a person whom ``marts.dim_people`` has without marketing consent.
    """

    def build() -> list[Expectation]:
        return [
            E.UnexpectedRowsExpectation(
                unexpected_rows_query=(
                    f"SELECT b.{_q(person_column)} FROM {{batch}} b "
                    f"JOIN marts.dim_people p ON p.person_id = b.{_q(person_column)} "
                    "WHERE b.has_consent AND NOT coalesce(p.has_marketing_consent, false)"
                ),
                severity=ERROR,
                description="Payload rows marked sendable for people without marketing "
                "consent: the sync would write to contacts who did not agree.",
            )
        ]

    return SuiteSpec(table, table, build, scope="table", requires=(person_column, "has_consent"))


SUITES: dict[str, SuiteSpec] = {
    spec.name: spec
    for spec in (
        SuiteSpec(
            "raw.ga4__events",
            "raw.ga4__events",
            _raw_ga4_events,
            scope="batch",
            derived=_GA4_DERIVED,
            requires=("event_name", "event_params", "event_date", "event_timestamp"),
        ),
        SuiteSpec(
            "raw.salesforce__lead",
            "raw.salesforce__lead",
            _versioned_sf("raw.salesforce__lead", lambda: [_email_shape("Email")]),
            scope="batch",
            requires=("Id", "SystemModstamp", "Email"),
        ),
        SuiteSpec(
            "raw.salesforce__contact",
            "raw.salesforce__contact",
            _versioned_sf("raw.salesforce__contact", lambda: [_email_shape("Email")]),
            scope="batch",
            requires=("Id", "SystemModstamp", "Email"),
        ),
        SuiteSpec(
            "raw.salesforce__account",
            "raw.salesforce__account",
            _versioned_sf("raw.salesforce__account"),
            scope="batch",
            requires=("Id", "SystemModstamp"),
        ),
        SuiteSpec(
            "raw.salesforce__opportunity",
            "raw.salesforce__opportunity",
            _raw_salesforce_opportunity,
            scope="batch",
            derived=_SF_OPPORTUNITY_DERIVED,
            requires=("Id", "SystemModstamp", "Amount", "IsWon", "IsClosed", "Probability"),
        ),
        SuiteSpec(
            "raw.marketo__leads",
            "raw.marketo__leads",
            _raw_marketo_leads,
            scope="batch",
            requires=("id", "updatedAt", "email"),
        ),
        SuiteSpec(
            "raw.marketo__activities",
            "raw.marketo__activities",
            _raw_marketo_activities,
            scope="batch",
            requires=("activityTypeId",),
        ),
        SuiteSpec(
            "raw.google_ads__campaign",
            "raw.google_ads__campaign",
            _raw_google_ads_campaign,
            scope="batch",
            requires=("metrics.clicks", "metrics.impressions", "metrics.cost_micros"),
        ),
        SuiteSpec(
            "raw.meta_ads__insights",
            "raw.meta_ads__insights",
            _raw_meta_ads_insights,
            scope="batch",
            requires=("clicks", "impressions", "spend"),
        ),
        SuiteSpec(
            "raw.linkedin_ads__analytics",
            "raw.linkedin_ads__analytics",
            _raw_linkedin_ads_analytics,
            scope="batch",
            requires=("clicks", "impressions", "costInLocalCurrency"),
        ),
        SuiteSpec(
            "marts.fct_events",
            "marts.fct_events",
            _marts_fct_events,
            derived=_FCT_EVENTS_DERIVED,
            requires=("channel", "person_id", "anonymous_id"),
        ),
        SuiteSpec(
            "marts.fct_opportunities",
            "marts.fct_opportunities",
            _marts_fct_opportunities,
            derived=_FCT_OPPORTUNITIES_DERIVED,
            requires=("is_won", "is_closed", "amount", "sales_cycle_days"),
        ),
        SuiteSpec(
            "marts.fct_lead_scores",
            "marts.fct_lead_scores",
            _marts_fct_lead_scores,
            derived=_FCT_LEAD_SCORES_DERIVED,
            requires=("grade",),
        ),
        SuiteSpec(
            "marts.fct_attribution",
            "marts.fct_attribution",
            _marts_fct_attribution,
            requires=("conversion_id", "conversion_type", "model", "credit", "revenue_credit"),
            built_by="issue 19 (dbt model fct_attribution)",
        ),
        SuiteSpec(
            "marts.mart_funnel",
            "marts.mart_funnel",
            _marts_mart_funnel,
            requires=(
                "funnel",
                "basis",
                "dimension",
                "dimension_value",
                "cohort_month",
                "from_stage",
                "to_stage",
                "entered",
                "converted",
                "conversion_rate",
                "median_days",
            ),
            built_by="issue 20 (dbt model mart_funnel)",
        ),
        SuiteSpec(
            "marts.mart_pipeline_velocity",
            "marts.mart_pipeline_velocity",
            _marts_mart_pipeline_velocity,
            derived=_VELOCITY_DERIVED,
            requires=(
                "velocity_per_day",
                "win_rate",
                "open_opportunities",
                "avg_deal_size",
                "avg_cycle_days",
            ),
            built_by="issue 20 (dbt model mart_pipeline_velocity)",
        ),
    )
}

# Person-level payloads: (table, person id column).
PERSON_PAYLOADS: dict[str, str] = {
    "reverse_etl.sync_salesforce__lead": "Revloop_Person_Id__c",
    "reverse_etl.sync_salesforce__contact": "Revloop_Person_Id__c",
    "reverse_etl.sync_hubspot__contact": "revloop_person_id",
}


def suite_for(name: str) -> SuiteSpec:
    """The suite called ``name`` (a static suite or a person-level payload)."""
    if name in SUITES:
        return SUITES[name]
    if name in PERSON_PAYLOADS:
        return payload_suite(name, PERSON_PAYLOADS[name])
    known = ", ".join(sorted([*SUITES, *PERSON_PAYLOADS]))
    raise KeyError(f"unknown expectation suite {name!r}; known suites: {known}")


def all_suite_names() -> list[str]:
    return [*SUITES, *PERSON_PAYLOADS]
