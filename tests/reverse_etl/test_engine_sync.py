"""The engine end to end over a real socket against the local CRM sandbox.

Each test writes its own payload table into a tmp DuckDB file and its own sync YAML, runs
`run_syncs`, then checks three things against hand-worked numbers: what the sandbox now
holds (read back through its API), what the state tables say, and how many calls were made.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import requests

from reverse_etl.destinations import (
    CrmConfig,
    HubSpotDestination,
    RetryPolicy,
    SalesforceDestination,
    build_destinations,
)
from reverse_etl.engine import run_syncs

TOKEN = "test-token-5f1c9e"
API = "/services/data/v62.0"
FAST_RETRY = RetryPolicy(max_attempts=10, base_delay=0.01, max_delay=0.2, max_retry_after=1.0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from sandbox.server import start_background

    db = tmp_path_factory.mktemp("crm") / "sandbox.sqlite"
    handle = start_background(free_port(), db, None, TOKEN)
    yield handle
    handle.stop()


@pytest.fixture(autouse=True)
def _no_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "crm" in request.fixturenames:
        crm = request.getfixturevalue("crm")
        crm.configure_faults()
        crm.configure(sf_daily_api_limit=100_000)


def sf(crm: object, method: str, path: str, **kw: object) -> requests.Response:
    return requests.request(
        method,
        crm.url + API + path,
        timeout=30,  # type: ignore[attr-defined]
        headers={"Authorization": f"Bearer {TOKEN}"},
        **kw,
    )


def soql(crm: object, query: str) -> list[dict]:
    out: list[dict] = []
    r = sf(crm, "GET", "/query", params={"q": query})
    r.raise_for_status()
    body = r.json()
    out.extend(body["records"])
    while not body.get("done", True):
        r = requests.get(
            crm.url + body["nextRecordsUrl"],
            timeout=30,  # type: ignore[attr-defined]
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        body = r.json()
        out.extend(body["records"])
    return out


def dests(crm: object) -> dict:
    return {
        "salesforce": SalesforceDestination(crm.url, TOKEN, retry=FAST_RETRY),  # type: ignore[attr-defined]
        "hubspot": HubSpotDestination(crm.url, TOKEN, retry=FAST_RETRY),  # type: ignore[attr-defined]
    }


CONTACT_SYNC = """
name: {name}
source: reverse_etl.pl_{name}
destination: salesforce
object: Contact
external_id: Revloop_Person_Id__c
mode: upsert
fields:
  - {{source: last_name, target: LastName}}
  - Revloop_Score__c
  - Revloop_Grade__c
batch_size: {batch_size}
bulk_threshold: {bulk_threshold}
guardrails:
  max_change_share: 1.0
  max_reject_share: {max_reject_share}
  min_sent_for_reject_share: 1
"""


def contact_sync(
    folder: Path,
    name: str,
    batch_size: int = 200,
    bulk_threshold: int = 2000,
    max_reject_share: float = 0.5,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yml").write_text(
        CONTACT_SYNC.format(
            name=name,
            batch_size=batch_size,
            bulk_threshold=bulk_threshold,
            max_reject_share=max_reject_share,
        )
    )
    return folder


def contact_payload(
    wh: Path, name: str, n: int, score_sql: str = "i * 1.5", grade_sql: str = "'A'"
) -> None:
    """n people `<name>_<i>` with LastName `L<i>`, score and grade from SQL over i."""
    with duckdb.connect(str(wh)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS reverse_etl")
        con.execute(
            f"CREATE OR REPLACE TABLE reverse_etl.pl_{name} AS SELECT "
            f"'{name}_' || lpad(i::VARCHAR, 5, '0') AS Revloop_Person_Id__c, "
            "'L' || i AS last_name, "
            f"({score_sql})::DOUBLE AS Revloop_Score__c, "
            f"({grade_sql})::VARCHAR AS Revloop_Grade__c, "
            "true AS has_consent FROM range(?) t(i)",
            [n],
        )


def sandbox_contacts(crm: object, name: str) -> dict[str, tuple]:
    rows = soql(
        crm,
        "SELECT Id, Revloop_Person_Id__c, Revloop_Score__c, Revloop_Grade__c "
        f"FROM Contact WHERE Revloop_Person_Id__c > '{name}_' "
        f"AND Revloop_Person_Id__c < '{name}_~'",
    )
    keys = [r["Revloop_Person_Id__c"] for r in rows]
    assert len(keys) == len(set(keys)), "duplicate records in the CRM"
    return {r["Revloop_Person_Id__c"]: (r["Revloop_Score__c"], r["Revloop_Grade__c"]) for r in rows}


def warehouse_rows(wh: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_upsert_then_unchanged_rerun_sends_nothing(crm: object, tmp_path: Path) -> None:
    wh, sd = tmp_path / "w.duckdb", contact_sync(tmp_path / "s", "up")
    contact_payload(wh, "up", 250)
    (r,) = run_syncs(wh, sd, destinations=dests(crm))
    assert (r.status, r.planned_creates, r.sent, r.succeeded, r.rejected) == (
        "succeeded",
        250,
        250,
        250,
        0,
    )
    assert r.api_calls == 2  # ⌈250 / 200⌉ collection calls
    held = sandbox_contacts(crm, "up")
    assert len(held) == 250 and held["up_00010"] == (15.0, "A")

    (r,) = run_syncs(wh, sd, destinations=dests(crm))
    assert (r.sent, r.api_calls, r.unchanged, r.planned) == (0, 0, 250, 0)

    contact_payload(wh, "up", 250, score_sql="CASE WHEN i IN (3, 7, 11) THEN 99 ELSE i * 1.5 END")
    (r,) = run_syncs(wh, sd, destinations=dests(crm))
    assert (r.planned_updates, r.sent, r.api_calls, r.unchanged) == (3, 3, 1, 247)
    held = sandbox_contacts(crm, "up")
    assert held["up_00007"] == (99.0, "A") and held["up_00008"] == (12.0, "A")
    runs = warehouse_rows(
        wh,
        "SELECT status, planned, sent, succeeded, unchanged "
        "FROM reverse_etl._sync_runs ORDER BY started_at",
    )
    assert runs == [
        ("succeeded", 250, 250, 250, 0),
        ("succeeded", 0, 0, 0, 250),
        ("succeeded", 3, 3, 3, 247),
    ]


def test_partial_batch_failure_dead_letters_and_retries(crm: object, tmp_path: Path) -> None:
    wh, sd = tmp_path / "w.duckdb", contact_sync(tmp_path / "s", "pf")
    # grade is 2 chars in the CRM (its describe says so); rows 4 and 9 carry 5 chars → those
    # two are refused before sending, the other 28 go through
    contact_payload(wh, "pf", 30, grade_sql="CASE WHEN i IN (4, 9) THEN 'ABCDE' ELSE 'B' END")
    (r,) = run_syncs(wh, sd, destinations=dests(crm))
    assert (r.status, r.sent, r.succeeded, r.planned_rejects) == ("partial", 28, 28, 2)
    dead = warehouse_rows(
        wh, "SELECT record_key, error_code, attempts FROM reverse_etl._sync_dead_letter ORDER BY 1"
    )
    assert [(k, a) for k, _, a in dead] == [("pf_00004", 1), ("pf_00009", 1)]
    assert all(code == "STRING_TOO_LONG" for _, code, _ in dead)
    in_state = {k for (k,) in warehouse_rows(wh, "SELECT record_key FROM reverse_etl._sync_state")}
    assert len(in_state) == 28 and not in_state & {"pf_00004", "pf_00009"}  # only confirmed
    assert len(sandbox_contacts(crm, "pf")) == 28

    (r,) = run_syncs(wh, sd, destinations=dests(crm))  # unchanged but dead-lettered → retried
    assert (r.sent, r.planned_rejects) == (0, 2)
    # refused again, but only retries failed: no new systematic failure, so no guardrail trip
    assert (r.status, r.error) == ("partial", None)
    assert warehouse_rows(wh, "SELECT max(attempts) FROM reverse_etl._sync_dead_letter") == [(2,)]

    contact_payload(wh, "pf", 30, grade_sql="'B'")  # fixed upstream
    (r,) = run_syncs(wh, sd, destinations=dests(crm))
    assert (r.status, r.sent, r.succeeded) == ("succeeded", 2, 2)
    assert warehouse_rows(wh, "SELECT count(*) FROM reverse_etl._sync_dead_letter") == [(0,)]
    assert len(sandbox_contacts(crm, "pf")) == 30
    log = warehouse_rows(
        wh, "SELECT status, count(*) FROM reverse_etl._sync_changelog GROUP BY 1 ORDER BY 1"
    )
    assert log == [("rejected", 4), ("succeeded", 30)]


def test_reject_share_guardrail_aborts_remaining_batches(crm: object, tmp_path: Path) -> None:
    wh, sd = (
        tmp_path / "w.duckdb",
        contact_sync(tmp_path / "s", "rj", batch_size=10, max_reject_share=0.3),
    )
    contact_payload(wh, "rj", 50, grade_sql="CASE WHEN i < 5 THEN 'TOOLONG' ELSE 'C' END")
    (r,) = run_syncs(wh, sd, destinations=dests(crm))
    # keys 0..4 refused before sending (5 invalid); batch 1 (keys 5..14) goes through:
    # 5 refused of 15 = 33 % > 30 % → abort before batch 2
    assert r.error_type == "GuardrailViolation" and "max_reject_share" in r.error
    assert (r.sent, r.succeeded, r.planned_rejects, r.api_calls) == (10, 10, 5, 1)
    assert len(sandbox_contacts(crm, "rj")) == 10
    assert warehouse_rows(wh, "SELECT status FROM reverse_etl._sync_runs") == [("failed",)]


def test_5xx_429_and_dropped_connection_storm(crm: object, tmp_path: Path) -> None:
    wh, sd = tmp_path / "w.duckdb", contact_sync(tmp_path / "s", "st", batch_size=20)
    contact_payload(wh, "st", 200)
    crm.configure_faults(
        error_rate=0.3,
        status_code=503,
        drop_connection_rate=0.1,
        rate_limit_burst=3,
        seed=7,
        target="salesforce",
    )
    (r,) = run_syncs(wh, sd, destinations=dests(crm))
    assert (r.status, r.sent, r.succeeded) == ("succeeded", 200, 200)
    assert r.api_calls > 11  # describe + 10 batches plus the retries the storm forced
    crm.configure_faults()
    held = sandbox_contacts(crm, "st")
    assert len(held) == 200 and held["st_00199"] == (298.5, "A")


def test_bulk_api_above_threshold(crm: object, tmp_path: Path) -> None:
    wh, sd = tmp_path / "w.duckdb", contact_sync(tmp_path / "s", "bk", bulk_threshold=500)
    contact_payload(wh, "bk", 600, grade_sql="CASE WHEN i = 77 THEN 'XYZ' ELSE 'A' END")
    (r,) = run_syncs(wh, sd, destinations=dests(crm))
    assert (r.sent, r.succeeded, r.planned_rejects) == (599, 599, 1)
    assert r.api_calls <= 9  # describe, create, upload, close, poll×2, success+failure results
    held = sandbox_contacts(crm, "bk")
    assert len(held) == 599 and held["bk_00599"] == (898.5, "A")
    dead = warehouse_rows(wh, "SELECT record_key, error_code FROM reverse_etl._sync_dead_letter")
    assert dead == [("bk_00077", "STRING_TOO_LONG")]


def test_update_by_id_and_mirror_clears_only_revloop_fields(crm: object, tmp_path: Path) -> None:
    ids = []
    for i in range(4):
        r = sf(
            crm,
            "POST",
            "/sobjects/Lead",
            json={"LastName": f"Mirror{i}", "Company": "Acme", "Title": "CFO"},
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    wh = tmp_path / "w.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("CREATE SCHEMA reverse_etl")
        con.execute(
            "CREATE TABLE reverse_etl.sync_salesforce__lead (Id VARCHAR, "
            "Revloop_Score__c DOUBLE, Revloop_Grade__c VARCHAR, has_consent BOOLEAN)"
        )
        con.executemany(
            "INSERT INTO reverse_etl.sync_salesforce__lead VALUES (?, ?, ?, true)",
            [(lid, 10.0 * (i + 1), "A") for i, lid in enumerate(ids)],
        )
    sd = tmp_path / "s"
    sd.mkdir()
    (sd / "lead.yml").write_text(
        "name: lead\nsource: reverse_etl.sync_salesforce__lead\ndestination: salesforce\n"
        "object: Lead\nexternal_id: Id\nmode: mirror\nfields: [Revloop_Score__c, "
        "Revloop_Grade__c]\nguardrails: {max_change_share: 1.0, max_clears: 5}\n"
    )
    (r,) = run_syncs(wh, sd, destinations=dests(crm))
    assert (r.planned_updates, r.succeeded, r.api_calls) == (4, 4, 1)
    with duckdb.connect(str(wh)) as con:  # lead 2 withdraws consent
        con.execute(
            "UPDATE reverse_etl.sync_salesforce__lead SET has_consent = false WHERE Id = ?",
            [ids[2]],
        )
    (r,) = run_syncs(wh, sd, destinations=dests(crm))
    assert (r.planned_clears, r.planned_updates, r.succeeded) == (1, 0, 1)
    rows = {
        x["Id"][:15]: x
        for x in soql(
            crm,
            "SELECT Id, Title, Revloop_Score__c, Revloop_Grade__c FROM Lead WHERE Company = 'Acme'",
        )
    }
    cleared = rows[ids[2][:15]]
    assert (cleared["Revloop_Score__c"], cleared["Revloop_Grade__c"], cleared["Title"]) == (
        None,
        None,
        "CFO",
    )
    assert rows[ids[3][:15]]["Revloop_Score__c"] == 40.0
    assert warehouse_rows(wh, "SELECT count(*) FROM reverse_etl._sync_state") == [(3,)]


def test_request_limit_exceeded_stops_cleanly_and_resumes(crm: object, tmp_path: Path) -> None:
    wh, sd = tmp_path / "w.duckdb", contact_sync(tmp_path / "s", "rl", batch_size=10)
    contact_payload(wh, "rl", 50)
    limits = sf(crm, "GET", "/limits").json()["DailyApiRequests"]
    crm.configure(sf_daily_api_limit=limits["Max"] - limits["Remaining"] + 3)
    (r,) = run_syncs(wh, sd, destinations=dests(crm))
    assert r.status == "partial" and r.error_type == "DestinationRateLimited"
    assert "REQUEST_LIMIT_EXCEEDED" in r.error
    assert r.succeeded in (20, 30) and r.api_calls == r.succeeded // 10 + 1  # no retry storm
    done = r.succeeded
    crm.configure(sf_daily_api_limit=100_000)
    (r,) = run_syncs(wh, sd, destinations=dests(crm))
    assert (r.status, r.sent, r.unchanged) == ("succeeded", 50 - done, done)
    assert len(sandbox_contacts(crm, "rl")) == 50


def test_hubspot_upsert_207_and_409_bisect(crm: object, tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("CREATE SCHEMA reverse_etl")
        con.execute(
            "CREATE TABLE reverse_etl.sync_hubspot__contact AS SELECT "
            "'hs' || i || '@Example.com' AS email, 'per_hs_' || i AS revloop_person_id, "
            "i::DOUBLE AS revloop_score, "
            "CASE WHEN i = 17 THEN 'maybe' ELSE 'true' END AS revloop_existing_customer, "
            "CASE WHEN i % 2 = 0 THEN DATE '2026-03-01' END AS revloop_mql_date, "
            "i % 10 <> 3 AS has_consent FROM range(150) t(i)"
        )
        # row 140 reuses person id of row 139 → HubSpot refuses that batch with 409
        con.execute(
            "UPDATE reverse_etl.sync_hubspot__contact SET revloop_person_id = "
            "'per_hs_139' WHERE email = 'hs140@Example.com'"
        )
    sd = tmp_path / "s"
    sd.mkdir()
    (sd / "hs.yml").write_text(
        "name: hs\nsource: reverse_etl.sync_hubspot__contact\ndestination: hubspot\n"
        "object: contacts\nexternal_id: email\nmode: upsert\nfields: [revloop_person_id, "
        "revloop_score, revloop_existing_customer, revloop_mql_date]\n"
        "guardrails: {max_change_share: 1.0}\n"
    )
    (r,) = run_syncs(wh, sd, destinations=dests(crm))
    assert r.consented_rows == 135  # i % 10 == 3 lack consent: 15 of 150
    assert (r.sent, r.succeeded, r.rejected) == (135, 133, 2)
    dead = dict(
        warehouse_rows(wh, "SELECT record_key, error_code FROM reverse_etl._sync_dead_letter")
    )
    assert dead == {"hs17@Example.com": "VALIDATION_ERROR", "hs140@Example.com": "CONFLICT"}
    (r,) = run_syncs(wh, sd, destinations=dests(crm))
    assert (r.sent, r.unchanged) == (2, 133)
    got = requests.post(
        crm.url + "/crm/v3/objects/contacts/batch/read",  # type: ignore[attr-defined]
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
        json={
            "idProperty": "email",
            "properties": ["email", "revloop_score", "revloop_mql_date"],
            "inputs": [{"id": "hs12@example.com"}, {"id": "hs13@example.com"}],
        },
    )
    found = {
        x["properties"]["email"]: x["properties"]["revloop_score"] for x in got.json()["results"]
    }
    assert set(found) == {"hs12@example.com"} and float(found["hs12@example.com"]) == 12.0
    assert got.json()["results"][0]["properties"]["revloop_mql_date"] == "2026-03-01"


def test_auth_error_and_token_never_logged(
    crm: object, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wh, sd = tmp_path / "w.duckdb", contact_sync(tmp_path / "s", "tk", batch_size=10)
    contact_payload(wh, "tk", 30)
    bad = {"salesforce": SalesforceDestination(crm.url, "wrong-" + TOKEN, retry=FAST_RETRY)}  # type: ignore[attr-defined]
    (r,) = run_syncs(wh, sd, destinations=bad)
    assert r.error_type == "DestinationAuthError" and "SALESFORCE_ACCESS_TOKEN" in r.error
    assert r.succeeded == 0
    crm.configure_faults(error_rate=0.5, seed=3)
    env = CrmConfig(
        salesforce_instance_url=crm.url,  # type: ignore[attr-defined]
        salesforce_access_token=TOKEN,
        hubspot_base_url=crm.url,  # type: ignore[attr-defined]
        hubspot_access_token=TOKEN,
    )
    (r,) = run_syncs(wh, sd, destinations=build_destinations(env, retry=FAST_RETRY))
    assert r.succeeded == 30
    assert any("retrying" in rec.getMessage() for rec in caplog.records)  # logging did happen
    for rec in caplog.records:
        assert TOKEN not in rec.getMessage() and TOKEN not in str(rec.args)
    assert TOKEN not in repr(build_destinations(env))
