"""Planning, dry run, consent, validation and pre-send guardrails: no HTTP needed.

Each test builds its own tiny warehouse in tmp_path and its own sync YAML, so the numbers
asserted are worked out by hand from the rows written here.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from reverse_etl.engine import (
    GuardrailViolation,
    SyncConfigError,
    build_plan,
    load_sync_file,
    load_syncs,
    run_syncs,
)
from reverse_etl.engine.state import Outcome, ensure_tables, record_outcomes

SYNC_YAML = """
name: contact_scores
source: reverse_etl.sync_test__contact
destination: salesforce
object: Contact
external_id: Revloop_Person_Id__c
mode: {mode}
consent_column: has_consent
fields:
  - {{source: last_name, target: LastName, max_length: 80}}
  - Revloop_Score__c
  - {{source: Revloop_Grade__c, target: Revloop_Grade__c, max_length: 2}}
  - Revloop_MQL_Date__c
guardrails:
  allow_empty: {allow_empty}
  max_change_share: 0.5
  max_clears: {max_clears}
"""


def write_sync(
    folder: Path, mode: str = "upsert", allow_empty: bool = False, max_clears: int = 100
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "contact_scores.yml").write_text(
        SYNC_YAML.format(mode=mode, allow_empty=str(allow_empty).lower(), max_clears=max_clears)
    )
    return folder


def write_payload(warehouse: Path, rows: list[tuple]) -> None:
    """rows: (person_id, last_name, score, grade, mql_date, has_consent)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS reverse_etl")
        con.execute(
            "CREATE OR REPLACE TABLE reverse_etl.sync_test__contact (Revloop_Person_Id__c VARCHAR,"
            " last_name VARCHAR, Revloop_Score__c DOUBLE, Revloop_Grade__c VARCHAR,"
            " Revloop_MQL_Date__c DATE, has_consent BOOLEAN)"
        )
        if rows:
            con.executemany(
                "INSERT INTO reverse_etl.sync_test__contact VALUES (?, ?, ?, ?, ?, ?)", rows
            )


def people(n: int, score: float = 10.0, consent: bool = True) -> list[tuple]:
    return [(f"per_{i:04d}", f"Name{i}", score + i, "A", "2026-05-01", consent) for i in range(n)]


def mark_synced(warehouse: Path, sync_dir: Path) -> None:
    """Pretend the destination confirmed every planned row (state as a real run leaves it)."""
    sync = load_sync_file(sync_dir / "contact_scores.yml")
    with duckdb.connect(str(warehouse)) as con:
        ensure_tables(con)
        plan = build_plan(con, sync)
        record_outcomes(
            con,
            "seed",
            sync.name,
            [
                Outcome(c.key, c.action, True, c.row_hash, c.payload, c.fields_written, "003x")
                for c in plan.to_send()
            ],
        )


def state_snapshot(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema='reverse_etl' "
            "AND table_name LIKE '\\_sync%' ESCAPE '\\' ORDER BY 1"
        ).fetchall()
        snap = []
        for (t,) in tables:
            snap.append((t, con.execute(f"SELECT * FROM reverse_etl.{t} ORDER BY ALL").fetchall()))
        return snap


def test_shipped_syncs_validate() -> None:
    syncs = load_syncs()
    assert {s.name for s in syncs} == {
        "salesforce_lead",
        "salesforce_contact",
        "salesforce_account",
        "salesforce_campaign",
        "hubspot_contact",
        "hubspot_company",
        "salesforce_opportunity",
    }
    lead = next(s for s in syncs if s.name == "salesforce_lead")
    assert lead.source == "reverse_etl.sync_salesforce__lead"
    assert lead.batch_size == 200 and lead.external_id == "Id"
    hs = next(s for s in syncs if s.name == "hubspot_contact")
    assert hs.batch_size == 100 and hs.consent_column == "has_consent"


def test_invalid_yaml_names_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "name: x\nsource: t\ndestination: pipedrive\nobject: Lead\n"
        "external_id: Id\nfields: [a]\nbatch_size: 500\n"
    )
    with pytest.raises(SyncConfigError) as err:
        load_sync_file(bad)
    assert "bad.yml" in str(err.value) and "destination" in str(err.value)
    bad.write_text(
        SYNC_YAML.format(mode="upsert", allow_empty="false", max_clears=1) + "batch_size: 500\n"
    )
    with pytest.raises(SyncConfigError, match="exceeds the salesforce limit of 200"):
        load_sync_file(bad)
    with pytest.raises(SyncConfigError, match="unknown sync"):
        load_syncs(None, names=["no_such_sync"])
    bad.write_text(SYNC_YAML.format(mode="update", allow_empty="false", max_clears=1))
    with pytest.raises(SyncConfigError, match="mode update needs external_id: Id"):
        load_sync_file(bad)


def test_hash_is_md5_of_sorted_stable_json(tmp_path: Path) -> None:
    wh, sd = tmp_path / "w.duckdb", write_sync(tmp_path / "syncs")
    write_payload(wh, [("per_1", "Sato", 42.5, "B", "2026-05-01", True)])
    with duckdb.connect(str(wh)) as con:
        plan = build_plan(con, load_sync_file(sd / "contact_scores.yml"))
    (change,) = plan.changes
    expected = json.dumps(
        {
            "LastName": "Sato",
            "Revloop_Grade__c": "B",
            "Revloop_MQL_Date__c": "2026-05-01",
            "Revloop_Score__c": 42.5,
        },
        separators=(",", ":"),
    )
    assert change.payload == expected
    assert change.row_hash == hashlib.md5(expected.encode()).hexdigest()
    assert change.action == "create" and change.fields["Revloop_Score__c"] == 42.5


def test_consent_and_validation_in_plan(tmp_path: Path) -> None:
    wh, sd = tmp_path / "w.duckdb", write_sync(tmp_path / "syncs")
    rows = people(6)
    rows[1] = ("per_0001", "X", 1.0, "A", None, False)  # no consent → not planned
    rows[2] = ("per_0002", "X", 1.0, "AAA", None, True)  # grade longer than 2
    rows[3] = (None, "X", 1.0, "A", None, True)  # missing key
    rows[4] = ("per_0000", "X", 1.0, "A", None, True)  # duplicates per_0000
    write_payload(wh, rows)
    results = run_syncs(wh, sd, dry_run=True)
    (r,) = results
    assert (r.source_rows, r.consented_rows) == (6, 5)
    reasons = sorted(
        (c.key, (c.reason or "").split(":")[0]) for c in r.plan if c.action == "reject"
    )
    assert reasons == [
        ("<missing key, row 3>", "MISSING_KEY"),
        ("per_0000", "DUPLICATE_KEY"),
        ("per_0000", "DUPLICATE_KEY"),
        ("per_0002", "STRING_TOO_LONG"),
    ]
    assert [c.key for c in r.plan if c.action == "create"] == ["per_0005"]
    lines = r.plan_lines(limit=2)
    assert len(lines) == 3 and lines[-1] == "  ... and 3 more"
    assert lines[0].startswith("  reject <missing key, row 3>: MISSING_KEY")
    assert r.planned_creates == 1 and r.planned_rejects == 4 and r.unchanged == 0
    assert "per_0001" not in {c.key for c in r.plan}


def test_dry_run_changes_no_state_and_unchanged_rows_not_planned(tmp_path: Path) -> None:
    wh, sd = tmp_path / "w.duckdb", write_sync(tmp_path / "syncs")
    write_payload(wh, people(10))
    # first dry run on a warehouse with no state tables: creates nothing at all
    (r,) = run_syncs(wh, sd, dry_run=True)
    assert r.planned_creates == 10 and r.status == "dry_run"
    assert state_snapshot(wh) == []
    mark_synced(wh, sd)
    before = state_snapshot(wh)
    with duckdb.connect(str(wh)) as con:  # 2 changed scores, 1 new person
        con.execute(
            "UPDATE reverse_etl.sync_test__contact SET Revloop_Score__c = 99 "
            "WHERE Revloop_Person_Id__c IN ('per_0003', 'per_0007')"
        )
        con.execute(
            "INSERT INTO reverse_etl.sync_test__contact VALUES "
            "('per_0100', 'New', 1, 'C', NULL, true)"
        )
    (r,) = run_syncs(wh, sd, dry_run=True)
    assert (r.planned_creates, r.planned_updates, r.unchanged) == (1, 2, 8)
    assert sorted(c.key for c in r.plan) == ["per_0003", "per_0007", "per_0100"]
    assert state_snapshot(wh) == before


def test_dead_lettered_row_is_replanned_even_if_unchanged(tmp_path: Path) -> None:
    wh, sd = tmp_path / "w.duckdb", write_sync(tmp_path / "syncs")
    write_payload(wh, people(3))
    mark_synced(wh, sd)
    sync = load_sync_file(sd / "contact_scores.yml")
    with duckdb.connect(str(wh)) as con:
        plan = build_plan(con, sync)
        assert plan.changes == [] and plan.unchanged == 3
        record_outcomes(
            con,
            "r2",
            sync.name,
            [Outcome("per_0001", "update", False, "h", "{}", None, None, "X_ERR", "boom")],
        )
        plan = build_plan(con, sync)
    assert [(c.key, c.retry) for c in plan.changes] == [("per_0001", True)]


def test_guardrail_empty_source(tmp_path: Path) -> None:
    wh, sd = tmp_path / "w.duckdb", write_sync(tmp_path / "syncs")
    write_payload(wh, [])
    (r,) = run_syncs(wh, sd, destinations={})
    assert r.status == "failed" and r.error_type == "GuardrailViolation" and not r.ok
    assert "is empty" in r.error and "allow_empty" in r.error
    with pytest.raises(GuardrailViolation, match="is empty"):
        r.raise_for_status()
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("SELECT status, error FROM reverse_etl._sync_runs").fetchone()[0] == (
            "failed"
        )
    write_sync(tmp_path / "syncs", allow_empty=True)
    (r,) = run_syncs(wh, sd, destinations={})
    assert r.status == "succeeded" and r.sent == 0


def test_guardrail_change_share(tmp_path: Path) -> None:
    wh, sd = tmp_path / "w.duckdb", write_sync(tmp_path / "syncs")
    write_payload(wh, people(10))
    mark_synced(wh, sd)
    write_payload(wh, people(5, score=50) + people(10)[5:])  # 5 of 10 changed = 50 % → allowed
    (r,) = run_syncs(wh, sd, dry_run=True)
    assert r.ok and r.planned_updates == 5
    write_payload(wh, people(6, score=50) + people(10)[6:])  # 6 of 10 = 60 % > 50 %
    (r,) = run_syncs(wh, sd, destinations={})
    assert r.error_type == "GuardrailViolation" and "6 of the 10" in r.error
    assert r.sent == 0


def test_guardrail_max_clears_in_mirror_mode(tmp_path: Path) -> None:
    wh, sd = tmp_path / "w.duckdb", write_sync(tmp_path / "syncs", mode="mirror", max_clears=2)
    write_payload(wh, people(10))
    mark_synced(wh, sd)
    # 3 people withdraw consent → mirror plans 3 clears of exactly the fields revloop wrote
    write_payload(wh, people(7) + people(10, consent=False)[7:])
    (r,) = run_syncs(wh, sd, dry_run=True)
    clears = [c for c in r.plan if c.action == "clear"]
    assert [c.key for c in clears] == ["per_0007", "per_0008", "per_0009"]
    assert clears[0].fields == {
        "LastName": None,
        "Revloop_Grade__c": None,
        "Revloop_MQL_Date__c": None,
        "Revloop_Score__c": None,
    }
    assert r.error_type == "GuardrailViolation" and "clears 3" in r.error


def test_unconfigured_destination_fails_the_sync_naming_the_env_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in (
        "SALESFORCE_INSTANCE_URL",
        "SALESFORCE_ACCESS_TOKEN",
        "HUBSPOT_BASE_URL",
        "HUBSPOT_ACCESS_TOKEN",
    ):
        monkeypatch.delenv(var, raising=False)
    wh, sd = tmp_path / "w.duckdb", write_sync(tmp_path / "syncs")
    write_payload(wh, people(3))
    (r,) = run_syncs(wh, sd)
    assert r.error_type == "DestinationConfigError" and "SALESFORCE_INSTANCE_URL" in r.error
    assert r.sent == 0 and r.planned_creates == 3
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM reverse_etl._sync_state").fetchone() == (0,)


def test_build_destinations_from_explicit_config() -> None:
    from reverse_etl.destinations import (
        CrmConfig,
        DestinationConfigError,
        RefreshTokenAuth,
        build_destinations,
    )

    real = CrmConfig(salesforce_instance_url="https://acme.my.salesforce.com")
    with pytest.raises(DestinationConfigError, match="SALESFORCE_ACCESS_TOKEN is not"):
        build_destinations(real, only={"salesforce"})
    both = build_destinations(CrmConfig(sandbox_url="http://127.0.0.1:9", sandbox_token="t"))
    assert both["salesforce"].base == "http://127.0.0.1:9/services/data/v62.0"
    assert both["hubspot"].base == "http://127.0.0.1:9"
    cfg = CrmConfig(
        salesforce_instance_url="https://acme.my.salesforce.com",
        salesforce_access_token="x",
        salesforce_api_version="61.0",
    )
    only = build_destinations(cfg, only={"salesforce"})
    assert list(only) == ["salesforce"]
    assert only["salesforce"].base == "https://acme.my.salesforce.com/services/data/v61.0"
    oauth = CrmConfig(salesforce_client_id="cid", salesforce_refresh_token="secret-rt")
    dest = build_destinations(oauth, only={"salesforce"})["salesforce"]
    assert isinstance(dest.auth, RefreshTokenAuth) and "secret-rt" not in repr(dest.auth)
    with pytest.raises(DestinationConfigError, match="SALESFORCE_JWT_KEY_FILE"):
        build_destinations(CrmConfig(salesforce_client_id="c", salesforce_username="u"))
