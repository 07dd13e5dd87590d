"""The GX runner on tiny hand-built DuckDB files: every number below is counted by hand."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from expectations import SUITES, run_suites


def _warehouse(tmp_path: Path, *sql: str) -> Path:
    path = tmp_path / "wh.duckdb"
    with duckdb.connect(str(path)) as con:
        for stmt in sql:
            con.execute(stmt)
    return path


def test_good_dim_people_passes(tmp_path: Path) -> None:
    wh = _warehouse(
        tmp_path,
        "create schema marts",
        "create table marts.dim_people as select * from (values "
        "('per_a', true, 'a@x.jp'), ('per_b', false, 'b@x.jp')) "
        "t(person_id, has_marketing_consent, email)",
    )
    (result,) = run_suites(wh, ["marts.dim_people"])
    assert result.success, result.summary()
    assert result.evaluated == 3  # not_null + unique on person_id, not_null on consent
    assert result.row_count == 2
    assert result.failed == []


def test_duplicate_and_null_are_named_with_examples(tmp_path: Path) -> None:
    # per_ab12 twice (2 offending rows), one null consent.
    wh = _warehouse(
        tmp_path,
        "create schema marts",
        "create table marts.dim_people as select * from (values "
        "('per_ab12', true), ('per_ab12', false), ('per_c', null)) "
        "t(person_id, has_marketing_consent)",
    )
    (result,) = run_suites(wh, ["marts.dim_people"])
    assert not result.success
    by_type = {f.expectation: f.message for f in result.failed}
    assert set(by_type) == {
        "expect_column_values_to_be_unique",
        "expect_column_values_to_not_be_null",
    }
    unique_msg = by_type["expect_column_values_to_be_unique"]
    assert unique_msg.startswith("marts.dim_people: expect_column_values_to_be_unique(person_id)")
    assert "2 rows with duplicated values" in unique_msg and "per_ab12" in unique_msg
    assert "1 null values of 3 rows" in by_type["expect_column_values_to_not_be_null"]


def test_missing_table_is_a_failure_not_a_skip(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path, "create schema marts")
    (result,) = run_suites(wh, ["marts.fct_events"])
    assert not result.success
    assert "marts.fct_events: table does not exist" in result.failed[0].message


def test_missing_column_is_reported(tmp_path: Path) -> None:
    wh = _warehouse(
        tmp_path,
        "create schema marts",
        "create table marts.dim_people as select 'per_a' as person_id",
    )
    (result,) = run_suites(wh, ["marts.dim_people"])
    assert not result.success
    assert [f.column for f in result.failed] == ["has_marketing_consent"]
    assert "column is missing" in result.failed[0].message


@pytest.mark.parametrize(("bad_emails", "success"), [(1, True), (2, False)])
def test_email_format_tolerates_five_percent(
    tmp_path: Path, bad_emails: int, success: bool
) -> None:
    # 20 lead versions: 1 bad e-mail = 5% (allowed by mostly=0.95), 2 bad = 10% (not allowed).
    wh = _warehouse(
        tmp_path,
        "create schema raw",
        "create table raw.salesforce__lead as select "
        "'00Q' || lpad(i::varchar, 15, '0') as \"Id\", "
        f"case when i <= {bad_emails} then 'not-an-email' else 'p' || i || '@example.co.jp' end "
        'as "Email", timestamptz \'2026-01-01 00:00:00+00\' as "SystemModstamp" '
        "from range(1, 21) t(i)",
    )
    (result,) = run_suites(wh, ["raw.salesforce__lead"])
    assert result.success is success, result.summary()
    if not success:
        assert "2 unexpected values (10.0%, allowed 5.0%)" in result.failed[0].message
        assert "not-an-email" in result.failed[0].message


def test_lead_versions_unique_per_id_and_modstamp(tmp_path: Path) -> None:
    # Same Id twice with different SystemModstamp = two versions (fine); an exact repeat is not.
    wh = _warehouse(
        tmp_path,
        "create schema raw",
        "create table raw.salesforce__lead as select * from (values "
        "('00QA', 'a@x.jp', timestamptz '2026-01-01 00:00:00+00'),"
        "('00QA', 'a@x.jp', timestamptz '2026-01-02 00:00:00+00'),"
        "('00QB', 'b@x.jp', timestamptz '2026-01-01 00:00:00+00'),"
        "('00QB', 'b@x.jp', timestamptz '2026-01-01 00:00:00+00')) "
        't("Id", "Email", "SystemModstamp")',
    )
    (result,) = run_suites(wh, ["raw.salesforce__lead"])
    assert not result.success
    assert [f.expectation for f in result.failed] == ["expect_compound_columns_to_be_unique"]
    assert "2 rows with duplicated (Id,SystemModstamp)" in result.failed[0].message


def test_payload_suite_uses_given_key_and_default_discovers_sync_tables(tmp_path: Path) -> None:
    wh = _warehouse(
        tmp_path,
        "create schema reverse_etl",
        "create table reverse_etl.sync_hubspot__contacts as select * from (values "
        "('a@x.jp', 10), (null, 20), ('b@x.jp', 30)) t(email, revloop_score)",
    )
    results = run_suites(wh)
    names = [r.name for r in results]
    assert names[: len(SUITES)] == list(SUITES)
    assert names[-1] == "reverse_etl.sync_hubspot__contacts"
    payload = results[-1]
    assert not payload.success
    assert "1 null values of 3 rows" in payload.failed[0].message
    (explicit,) = run_suites(
        wh,
        ["reverse_etl.sync_hubspot__contacts"],
        payload_keys={"reverse_etl.sync_hubspot__contacts": ["revloop_score"]},
    )
    assert explicit.success  # revloop_score is complete and unique


def test_missing_warehouse_fails_every_suite(tmp_path: Path) -> None:
    results = run_suites(tmp_path / "nope.duckdb", ["marts.dim_people", "raw.ga4__events"])
    assert [r.success for r in results] == [False, False]
    assert "does not exist" in results[0].failed[0].message


def test_event_types_come_from_the_dbt_seed(tmp_path: Path) -> None:
    from expectations.suites import event_types

    seed = tmp_path / "event_types.csv"
    seed.write_text("event_type,event_category\nad_click,advertising\nmql,lifecycle\n")
    assert event_types(seed) == ["ad_click", "mql"]
    assert "page_view" in event_types()  # the project's seed (or the documented fallback)


def test_unknown_event_type_and_null_timestamp_fail_fct_events(tmp_path: Path) -> None:
    wh = _warehouse(
        tmp_path,
        "create schema marts",
        "create table marts.fct_events as select * from (values "
        "('e1', timestamptz '2026-01-01 00:00:00+00', 'page_view'),"
        "('e2', null, 'mql'),"
        "('e3', timestamptz '2026-01-02 00:00:00+00', 'banana')) "
        "t(event_id, occurred_at, event_type)",
    )
    (result,) = run_suites(wh, ["marts.fct_events"])
    messages = " | ".join(result.messages)
    assert not result.success
    assert "expect_column_values_to_not_be_null(occurred_at) failed: 1 null values of 3" in messages
    assert "expect_column_values_to_be_in_set(event_type) failed: 1 unexpected values" in messages
    assert "banana" in messages
    assert len(result.failed) == 2
