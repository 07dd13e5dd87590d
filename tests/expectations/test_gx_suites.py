"""The GX suites on tiny hand-built warehouses: what passes a real-shaped day, what blocks.

Counts in the docstrings are worked by hand from the fixture rows (tests/expectations/world).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from expectations import run_suite as _run_suite
from tests.expectations import world


def run_suite(*args, **kwargs):
    """Data Docs rendering (~1 s a suite) is proven once, in the test of results and docs."""
    kwargs.setdefault("build_docs", False)
    return _run_suite(*args, **kwargs)


@pytest.fixture
def wh(tmp_path: Path) -> Path:
    return tmp_path / "wh.duckdb"


def test_real_ga4_day_with_gas_own_and_custom_event_names_passes(wh: Path) -> None:
    """Newest batch, 100 events cycling over 20 names: 19 are GA4's own (enhanced
    measurement: form_start, scroll, view_search_results, user_engagement, ...) and one
    custom name ``cta_click`` = 5 of 100 = 5.0 %, exactly what mostly=0.95 allows."""
    names = [
        "page_view", "form_start", "scroll", "view_search_results", "user_engagement",
        "session_start", "first_visit", "click", "video_start", "video_progress",
        "video_complete", "file_download", "form_submit", "generate_lead", "login",
        "sign_up", "search", "share", "select_content", "cta_click",
    ]  # fmt: skip
    with world.connect(wh) as con:
        world.ga4_days(con, newest=100, newest_names=names)
    result = run_suite(wh, "raw.ga4__events", batch_id=world.NEW_BATCH, run_name="r1")
    assert result.status == "passed", result.summary()
    assert result.row_count == 100 and result.evaluated == 3


def test_many_custom_event_names_warn_but_do_not_block(wh: Path) -> None:
    """3 names cycling over 90 events: 60 of 90 (66.7 %) are custom -> a warning that lists
    the new names, never an error."""
    with world.connect(wh) as con:
        world.ga4_days(con, newest=90, newest_names=["page_view", "cta_click", "pricing_calc"])
    result = run_suite(wh, "raw.ga4__events", batch_id=world.NEW_BATCH)
    assert result.status == "warned" and result.success
    (warning,) = result.warnings
    assert "60 of 90 rows (66.7%, allowed 5.0%)" in warning.detail
    assert "most common: cta_click x30, pricing_calc x30" in warning.detail
    assert "tracking plan changed" in warning.message


def test_only_the_load_batch_is_validated(wh: Path) -> None:
    """History rows (batch HIST) lose page_location; validating NEW passes, HIST fails with
    the rule's meaning (34 days x 100 page_views, all without location = 100 %)."""
    with world.connect(wh) as con:
        world.ga4_days(con)
        con.execute(
            "UPDATE raw.ga4__events SET event_params = [] WHERE _batch_id = ?", [world.HIST_BATCH]
        )
    assert run_suite(wh, "raw.ga4__events", batch_id=world.NEW_BATCH).status == "passed"
    old = run_suite(wh, "raw.ga4__events", batch_id=world.HIST_BATCH)
    assert old.status == "failed" and not old.success
    (error,) = old.errors
    assert "page_view events without a page_location" in error.message
    assert "3400 of 3400 rows (100.0%, allowed 1.0%)" in error.detail


def test_a_batch_without_rows_says_nothing_new(wh: Path) -> None:
    with world.connect(wh) as con:
        world.ga4_days(con)
    result = run_suite(wh, "raw.ga4__events", batch_id="20261102T020000Z-none")
    assert result.status == "nothing_new" and result.success
    assert "nothing new to validate" in result.summary()


def test_overlapping_salesforce_reextract_with_identical_versions_passes(wh: Path) -> None:
    """The newest page arrives twice (files -0001 and -0002) with identical versions: 60 rows,
    30 (Id, SystemModstamp) pairs, each with one content -> one version each."""
    with world.connect(wh) as con:
        world.opportunity_days(con, redeliver_newest=True)
    result = run_suite(wh, "raw.salesforce__opportunity", batch_id=world.NEW_BATCH)
    assert result.status == "passed", result.summary()
    assert result.row_count == 60


def test_conflicting_versions_are_named(wh: Path) -> None:
    """Same re-extract, but 006NEW000000's Amount differs in the second file: one key with
    two contents."""
    with world.connect(wh) as con:
        world.opportunity_days(con, redeliver_newest=True, conflicting=True)
    result = run_suite(wh, "raw.salesforce__opportunity", batch_id=world.NEW_BATCH)
    assert result.status == "failed"
    (error,) = result.errors
    assert "different field values" in error.message
    assert "1 offending rows" in error.detail and "006NEW000000" in error.detail


def test_a_superseded_delivery_is_not_a_conflicting_version(wh: Path) -> None:
    """Same conflict, but the first file's rows belong to a delivery that was superseded
    (the file was re-delivered at its path): staging reads only the newest delivery, so the
    corrected Amount is no conflict. The rows stay in raw; only the current ones compare."""
    with world.connect(wh) as con:
        world.opportunity_days(con, redeliver_newest=True, conflicting=True)
        con.execute(
            "UPDATE raw.salesforce__opportunity SET _superseded_at = ? "
            "WHERE _source_file LIKE '%-0001.json' AND _batch_id = ?",
            [world.LOADED_AT, world.NEW_BATCH],
        )
    result = run_suite(wh, "raw.salesforce__opportunity", batch_id=world.NEW_BATCH)
    assert result.status == "passed", result.summary()


def test_won_opportunities_blanked_amounts_block(wh: Path) -> None:
    """120 won versions in the newest page, all with Amount NULL: 100 % > 5 % allowed."""
    with world.connect(wh) as con:
        world.opportunity_days(con, per_day=120, newest_amount_null=True)
    result = run_suite(wh, "raw.salesforce__opportunity", batch_id=world.NEW_BATCH)
    assert result.status == "failed"
    assert [e.column for e in result.errors] == ["won_without_amount"]
    assert "120 of 120 rows (100.0%, allowed 5.0%)" in result.errors[0].detail


def test_attribution_invariants_read_the_interfaces_table(wh: Path) -> None:
    """marts.fct_attribution absent -> "table not built yet"; present and sound -> passes;
    c1's linear credits 0.5 + 0.6 = 1.1 -> the sum rule fails naming c1."""
    with world.connect(wh) as con:
        con.execute("CREATE SCHEMA marts")
    missing = run_suite(wh, "marts.fct_attribution")
    assert missing.status == "not_built" and "table not built yet" in missing.summary()
    with world.connect(wh) as con:
        world.attribution_mart(con)
    assert run_suite(wh, "marts.fct_attribution").status == "passed"
    with world.connect(wh) as con:
        world.attribution_mart(con, broken=True)
    broken = run_suite(wh, "marts.fct_attribution")
    assert broken.status == "failed"
    messages = " | ".join(broken.messages)
    assert "do not sum to 1" in messages and "conversion_id=c1" in messages
    assert "model=linear" in messages and "credits=1.1" in messages


def test_funnel_may_not_grow_downward_and_payload_respects_consent(wh: Path) -> None:
    """Funnel, one entry cohort (basis funnel_cohort, cut all): MQL->SAL entered 10, SAL->SQL
    entered 12 (> 10): one violation. The same numbers as period counts (basis period: a
    month's flow, another population at each end) are none, and neither is the channel cut
    (20 -> 12 within its own cut; compared across cuts, all's 10 -> channel's 12 would be a
    false alarm): exactly one offending row pair is reported. Payload: p2 is sendable but
    has no marketing consent in dim_people."""
    rows = []
    for basis, dimension, value in (
        ("funnel_cohort", "all", None),
        ("period", "all", None),
        ("funnel_cohort", "channel", "Webinar"),
    ):
        v = "NULL" if value is None else f"'{value}'"
        mql = 20 if dimension == "channel" else 10  # 20 -> 12 in its own cut is fine
        rows.append(
            f"('lifecycle', '{basis}', '{dimension}', {v}, DATE '2026-09-01', 'mql', 'sal', "
            f"{mql}, 4, {4 / mql}, 3.0)"
        )
        rows.append(
            f"('lifecycle', '{basis}', '{dimension}', {v}, DATE '2026-09-01', 'sal', 'sql', "
            f"12, 2, {2 / 12}, 5.0)"
        )
    with world.connect(wh) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(
            "CREATE TABLE marts.mart_funnel AS SELECT * FROM (VALUES "
            + ", ".join(rows)
            + ") t(funnel, basis, dimension, dimension_value, cohort_month, from_stage, "
            "to_stage, entered, converted, conversion_rate, median_days)"
        )
        con.execute(
            "CREATE TABLE marts.dim_people AS SELECT * FROM (VALUES ('p1', true), ('p2', false))"
            " t(person_id, has_marketing_consent)"
        )
        con.execute("CREATE SCHEMA reverse_etl")
        con.execute(
            "CREATE TABLE reverse_etl.sync_salesforce__lead AS SELECT * FROM (VALUES "
            "('00Q1', 'p1', true), ('00Q2', 'p2', true)) "
            't("Id", "Revloop_Person_Id__c", has_consent)'
        )
    funnel = run_suite(wh, "marts.mart_funnel")
    assert funnel.status == "failed"
    assert len(funnel.errors) == 1
    assert "never grow downward" in funnel.errors[0].message
    assert "lower_entered=12" in funnel.errors[0].detail
    detail = funnel.errors[0].detail
    assert detail.startswith("1 offending rows, e.g. funnel=lifecycle, dimension=all")
    payload = run_suite(wh, "reverse_etl.sync_salesforce__lead")
    assert payload.status == "failed" and "without marketing consent" in payload.errors[0].message
    assert "Revloop_Person_Id__c=p2" in payload.errors[0].detail


def test_results_are_kept_per_run_and_data_docs_built(wh: Path, tmp_path: Path) -> None:
    with world.connect(wh) as con:
        world.attribution_mart(con)
    root = tmp_path / "gx"
    first = _run_suite(wh, "marts.fct_attribution", context_root=root, run_name="run-a")
    _run_suite(wh, "marts.fct_attribution", context_root=root, run_name="run-b")
    assert first.docs == root / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert first.docs.exists()
    stored = list((root / "uncommitted" / "validations").rglob("*.json"))
    runs = {json.loads(p.read_text())["meta"]["run_id"]["run_name"] for p in stored}
    assert {"run-a", "run-b"} <= runs
    pages = list(
        (root / "uncommitted" / "data_docs" / "local_site" / "validations").rglob("*.html")
    )
    assert len(pages) >= 2
    assert (root / "great_expectations.yml").exists()
    # history is bounded: keeping 1 run removes run-a's result and page
    from expectations.context import prune_history

    assert prune_history(root, "marts.fct_attribution", keep_runs=1) == 2
    stored = list((root / "uncommitted" / "validations").rglob("*.json"))
    assert {json.loads(p.read_text())["meta"]["run_id"]["run_name"] for p in stored} == {"run-b"}


def test_a_missing_column_is_an_error_not_a_skip(wh: Path) -> None:
    with world.connect(wh) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.fct_attribution AS SELECT 'c1' AS conversion_id")
    result = run_suite(wh, "marts.fct_attribution")
    assert result.status == "failed"
    assert {e.column for e in result.errors} == {
        "conversion_type",
        "model",
        "credit",
        "revenue_credit",
    }


def test_a_rule_that_cannot_run_is_an_error_even_when_it_would_warn(wh: Path) -> None:
    """fct_events' channel rule is a warning; when the table's person_id is of a type the
    suite's derived column cannot coalesce with anonymous_id (a STRUCT), no rule can run:
    both are errors saying so, never a quiet warning or a pass."""
    with world.connect(wh) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(
            "CREATE TABLE marts.fct_events AS SELECT 'Email' AS channel, "
            "{'a': 1} AS person_id, 'anon' AS anonymous_id"
        )
    result = run_suite(wh, "marts.fct_events")
    assert result.status == "failed"
    assert len(result.errors) == 2 and not result.warnings
    assert all("could not be evaluated" in e.detail for e in result.errors)


def test_a_share_of_a_tiny_batch_warns_instead_of_blocking(wh: Path) -> None:
    """12 won versions in the newest page, all without Amount: 100 % > 5 %, but 12 rows are
    fewer than 100, so the share rule warns; the same page with 120 rows blocks (above)."""
    with world.connect(wh) as con:
        world.opportunity_days(con, per_day=12, newest_amount_null=True)
    result = run_suite(wh, "raw.salesforce__opportunity", batch_id=world.NEW_BATCH)
    assert result.status == "warned" and result.success
    assert "only 12 rows in the batch" in result.warnings[0].detail
