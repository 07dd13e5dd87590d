"""The whole loop, as a newcomer runs it: generate → `revloop run` → warehouse + CRM sandbox.

Runs the real CLI in subprocesses on the small sample in a temporary folder, then checks the
warehouse (loaded, reconciled, modelled, synced) and reads the sandbox back over HTTP to prove
the scores really landed on the CRM records. A second run must load and send nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
import requests

from tests.nightly import NIGHTLY_AS_OF, NIGHTLY_TOKEN, nightly_env

REVLOOP = str(Path(sys.executable).with_name("revloop"))
TOKEN = NIGHTLY_TOKEN


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory, nightly_world: dict) -> dict:
    """The session's first night (``nightly_world``: generate + run, shared with the
    dashboard tests), copied whole (extracts, warehouse, Dagster instance, CRM sandbox
    state) into this module's folder, then two more nights on the same files there: one
    forced through every step, one left to decide that it has nothing to do."""
    root = tmp_path_factory.mktemp("e2e")
    shutil.copytree(nightly_world["root"], root, dirs_exist_ok=True)
    env = nightly_env(root)
    warehouse = root / "warehouse" / "revloop.duckdb"
    gen, first = nightly_world["generate"], nightly_world["first"]
    assert gen.returncode == 0, gen.stdout + gen.stderr
    after_first = _sql(warehouse, MANIFEST_TOTALS)[0] if warehouse.exists() else None

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [REVLOOP, "run", "--as-of", NIGHTLY_AS_OF, *extra],
            env=env, cwd=root, capture_output=True, text=True, timeout=1200,
        )  # fmt: skip

    # every step, though nothing is new: must load nothing and send nothing (forced: the
    # copy moved the CRM sandbox's state file, a CRM the first night did not write to)
    forced = run("--force")
    second = run()  # now nothing new at all: skipped in seconds (orchestration/up_to_date.py)
    return {
        "after_first": after_first,
        "root": root,
        "env": env,
        "first": first,
        "second": second,
        "forced": forced,
        "warehouse": warehouse,
        "sandbox_db": root / "warehouse" / "sandbox.sqlite",
    }


MANIFEST_TOTALS = "select count(*), sum(rows_loaded), sum(rows_quarantined) from raw._manifest"


def _sql(warehouse: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(query).fetchall()


def test_first_run_succeeds_with_summary(loop: dict) -> None:
    out = loop["first"].stdout + loop["first"].stderr
    assert loop["first"].returncode == 0, out
    assert "ga4" in out.lower() and "synced" in out.lower(), out
    assert TOKEN not in out
    # not a terminal: plain timestamped lines per step, then per-stage timings
    assert "] start dbt build" in out and "] done  dbt build" in out, out
    assert "time: prepare" in out and " · sync " in out, out
    # third-party noise stays in the run log
    assert "ephemeral docs site" not in out and "singular test" not in out, out


def test_the_shipped_demo_is_refused_nothing(loop: dict) -> None:
    """Every generated Lead has a Company (web-to-lead writes '[not provided]'), so the CRM
    refuses no record of the demo; refusals have tests of their own."""
    assert _sql(loop["warehouse"], "select count(*) from reverse_etl._sync_dead_letter") == [(0,)]
    assert "0 refused" in loop["first"].stdout, loop["first"].stdout


def test_runs_are_recorded_in_a_persistent_dagster_instance(loop: dict) -> None:
    from dagster import DagsterInstance, RunsFilter

    home = loop["root"] / "warehouse" / "dagster_home"
    with DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs(RunsFilter(tags={"revloop/as_of": "2026-10-31 23:59:59"}))
    assert len(runs) == 2  # the first and the forced night; the skipped one starts no run
    assert {r.job_name for r in runs} == {"nightly"}
    for run in runs:
        assert run.run_id in loop["first"].stdout + loop["forced"].stdout


def test_every_file_reconciles_in_equals_raw_plus_quarantine(loop: dict) -> None:
    rows = _sql(
        loop["warehouse"],
        "select count(*), count(*) filter (where rows_in <> rows_loaded + rows_quarantined),"
        " sum(rows_loaded), sum(rows_quarantined) from raw._manifest",
    )
    files, mismatched, loaded, quarantined = rows[0]
    assert files > 100 and mismatched == 0
    assert loaded > 50_000 and quarantined > 0  # the generator injects malformed rows


def test_marts_are_built_and_connected(loop: dict) -> None:
    wh = loop["warehouse"]
    (people, accounts) = _sql(
        wh,
        "select (select count(*) from marts.dim_people), (select count(*) from marts.dim_accounts)",
    )[0]
    assert people > 100 and accounts > 10
    (events, typed, with_person) = _sql(
        wh,
        "select count(*), count(distinct event_type), count(*) filter (where person_id is not null)"
        " from marts.fct_events",
    )[0]
    assert events > 50_000 and typed >= 10 and with_person > 0
    # every scored person exists in dim_people
    orphans = _sql(
        wh,
        "select count(*) from marts.fct_lead_scores s"
        " left join marts.dim_people p using (person_id) where p.person_id is null",
    )[0][0]
    assert orphans == 0


def test_syncs_ran_and_scores_landed_in_the_sandbox(loop: dict) -> None:
    wh = loop["warehouse"]
    runs = _sql(wh, "select sync_name, status, succeeded from reverse_etl._sync_runs")
    assert runs, "no sync runs recorded"
    assert all(status in ("succeeded", "partial") for _, status, _ in runs), runs
    payload = dict(
        _sql(
            wh,
            'select "Id", "Revloop_Score__c" from reverse_etl.sync_salesforce__lead'
            ' where has_consent and "Revloop_Score__c" is not null',
        )
    )
    assert payload, "lead payload is empty"

    from sandbox.server import start_background

    handle = start_background(0, loop["sandbox_db"], None, TOKEN)
    try:
        url = f"{handle.url}/services/data/v62.0/query"
        headers = {"Authorization": f"Bearer {TOKEN}"}
        found: dict[str, float] = {}
        resp = requests.get(
            url, params={"q": "SELECT Id, Revloop_Score__c FROM Lead"}, headers=headers, timeout=60
        )
        while True:
            resp.raise_for_status()
            body = resp.json()
            for rec in body["records"]:
                if rec.get("Revloop_Score__c") is not None:
                    found[rec["Id"]] = rec["Revloop_Score__c"]
            if body["done"]:
                break
            resp = requests.get(handle.url + body["nextRecordsUrl"], headers=headers, timeout=60)
    finally:
        handle.stop()
    # each consenting lead in the payload carries its score in the CRM, value for value, except
    # those the CRM refused (they wait in the dead letter with the vendor's reason)
    refused = {
        k
        for (k,) in _sql(
            wh,
            "select record_key from reverse_etl._sync_dead_letter"
            " where sync_name = 'salesforce_lead'",
        )
    }
    assert len(refused) < 0.1 * len(payload)
    payload = {k: v for k, v in payload.items() if k not in refused}
    missing = [k for k in payload if k not in found]
    assert not missing, f"{len(missing)} leads without a score in the sandbox, e.g. {missing[:3]}"
    wrong = [k for k, v in payload.items() if abs(float(found[k]) - float(v)) > 1e-6]
    assert not wrong, f"{len(wrong)} leads with a stale score, e.g. {wrong[:3]}"


def _sandbox_records(loop: dict, soql: str) -> list[dict]:
    from sandbox.server import start_background

    handle = start_background(0, loop["sandbox_db"], None, TOKEN)
    try:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        resp = requests.get(
            f"{handle.url}/services/data/v62.0/query",
            params={"q": soql},
            headers=headers,
            timeout=60,
        )
        records: list[dict] = []
        while True:
            resp.raise_for_status()
            body = resp.json()
            records += body["records"]
            if body["done"]:
                return records
            resp = requests.get(handle.url + body["nextRecordsUrl"], headers=headers, timeout=60)
    finally:
        handle.stop()


def test_deal_alerts_and_churn_risk_landed_in_the_sandbox(loop: dict) -> None:
    """The revenue fields of issue 20 reach the CRM records: days in stage and the
    stalled-with-fresh-visits alert on every open Opportunity, churn risk with its top
    reason on customer Accounts, value for value."""
    wh = loop["warehouse"]
    open_deals = dict(
        _sql(
            wh,
            'select "Id", "Revloop_Days_In_Stage__c" from reverse_etl.sync_salesforce__opportunity'
            ' where "Revloop_Days_In_Stage__c" is not null',
        )
    )
    assert open_deals, "no open opportunity in the payload"
    deals = _sandbox_records(
        loop, "SELECT Id, Revloop_Days_In_Stage__c, Revloop_Stalled_Web_Visits__c FROM Opportunity"
    )
    landed = {d["Id"]: d["Revloop_Days_In_Stage__c"] for d in deals}
    assert {k: landed.get(k) for k in open_deals} == open_deals
    assert all(isinstance(d["Revloop_Stalled_Web_Visits__c"], bool) for d in deals)
    risks = dict(
        _sql(
            wh,
            'select "Id", "Revloop_Churn_Risk_Reason__c" from reverse_etl.sync_salesforce__account'
            ' where "Revloop_Churn_Risk_Reason__c" is not null',
        )
    )
    assert risks, "no account with a churn-risk reason in the payload"
    accounts = _sandbox_records(loop, "SELECT Id, Revloop_Churn_Risk_Reason__c FROM Account")
    reasons = {a["Id"]: a["Revloop_Churn_Risk_Reason__c"] for a in accounts}
    assert {k: reasons.get(k) for k in risks} == risks
    companies = dict(
        _sql(
            wh,
            "select revloop_account_id, revloop_churn_risk_reason"
            " from reverse_etl.sync_hubspot__company"
            " where revloop_churn_risk_reason is not null order by 1 limit 100",
        )
    )
    assert companies, "no HubSpot company with a churn-risk reason in the payload"
    from sandbox.server import start_background

    handle = start_background(0, loop["sandbox_db"], None, TOKEN)
    try:
        read = requests.post(
            f"{handle.url}/crm/v3/objects/companies/batch/read",
            json={
                "idProperty": "revloop_account_id",
                "properties": ["revloop_account_id", "revloop_churn_risk_reason"],
                "inputs": [{"id": k} for k in companies],
            },
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=60,
        )
    finally:
        handle.stop()
    assert read.status_code in (200, 207), read.text
    landed = {
        r["properties"]["revloop_account_id"]: r["properties"]["revloop_churn_risk_reason"]
        for r in read.json()["results"]
    }
    assert landed == companies


def test_a_second_run_with_nothing_new_is_skipped(loop: dict) -> None:
    """Same files, same definitions, same as-of date, the last run succeeded, no retry
    waiting: `revloop run` says so and stops before Dagster, dbt or the CRM (the forced run
    below shows what a whole run would have done: nothing)."""
    out = loop["second"].stdout + loop["second"].stderr
    assert loop["second"].returncode == 0, out
    assert "up to date: nothing new since run" in out and "nothing to do" in out, out
    assert "no new or changed extract file" in out, out
    assert "start dbt build" not in out and "--force" in out, out


def test_second_run_loads_nothing_and_sends_nothing(loop: dict) -> None:
    out = loop["forced"].stdout + loop["forced"].stderr
    assert loop["forced"].returncode == 0, out
    assert "nothing new to load" in out and "nothing changed to send" in out, out
    wh = loop["warehouse"]
    assert _sql(wh, MANIFEST_TOTALS)[0] == loop["after_first"]  # no file, no row loaded twice
    # the second run re-sends only the dead letters (retries), nothing that was confirmed
    last = _sql(
        wh,
        "with last as (select sync_name, sent from reverse_etl._sync_runs"
        " qualify row_number() over (partition by sync_name order by started_at desc) = 1)"
        " select l.sync_name, l.sent, (select count(*) from reverse_etl._sync_dead_letter d"
        " where d.sync_name = l.sync_name) from last l",
    )
    assert len(last) == 7 and all(sent == dead == 0 for _, sent, dead in last), last


def _check(loop: dict, as_of: str = "2026-10-31 23:59:59", **paths: Path):
    from dagster import DagsterInstance

    from orchestration import up_to_date
    from orchestration.settings import Settings

    settings = Settings.from_env(loop["env"])
    if paths:
        settings = replace(settings, **paths)
    with DagsterInstance.from_config(str(loop["root"] / "warehouse" / "dagster_home")) as inst:
        return up_to_date.check(settings, inst, as_of)


def test_what_makes_a_run_not_up_to_date(loop: dict, tmp_path: Path) -> None:
    """After the forced night (successful, tagged), each input alone makes the next run run:
    a new as-of date (the clock moved: scores decay by the day), one new extract file, and a
    sync record waiting in the dead-letter table; unchanged inputs are up to date."""
    assert _check(loop).up_to_date
    assert _check(loop, as_of="2026-10-31 08:00:00").up_to_date  # same day
    later = _check(loop, as_of="2026-11-01 23:59:59")
    assert not later.up_to_date and "new as-of date" in later.reason

    extracts = tmp_path / "extracts"
    shutil.copytree(loop["root"] / "data" / "extracts", extracts)
    newest = sorted((extracts / "ga4").glob("events_2*.jsonl"))[-1]
    shutil.copyfile(newest, newest.with_name("events_20261101.jsonl"))
    pending = _check(loop, extracts=extracts)
    assert not pending.up_to_date and "1 new or changed extract file" in pending.reason

    warehouse = tmp_path / "revloop.duckdb"
    shutil.copyfile(loop["warehouse"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into reverse_etl._sync_dead_letter (sync_name, record_key, run_id, "
            "attempts, first_failed_at, last_failed_at, parked) "
            "values ('salesforce_lead', 'L1', 'r1', 1, now(), now(), false)"
        )
    waiting = _check(loop, warehouse=warehouse)
    assert not waiting.up_to_date and "1 sync record(s) waiting" in waiting.reason


def test_the_fingerprint_follows_definitions_and_crm(tmp_path: Path) -> None:
    """The fingerprint hashes the definitions' bytes and the CRM address: editing a model or
    pointing at another CRM changes it; touching nothing does not."""
    from orchestration import up_to_date
    from orchestration.settings import Settings

    root = tmp_path / "repo"
    model = root / "dbt_project" / "models" / "m.sql"
    model.parent.mkdir(parents=True)
    model.write_text("select 1 as x\n")
    (root / "dbt_project" / "dbt_project.yml").write_text("name: x\n")
    settings = Settings.from_env({"REVLOOP_WAREHOUSE": str(tmp_path / "none.duckdb")})
    settings = replace(settings, syncs_dir=root / "syncs")
    first = up_to_date.fingerprint(settings, root)
    assert up_to_date.fingerprint(settings, root) == first
    model.write_text("select 2 as x\n")
    edited = up_to_date.fingerprint(settings, root)
    assert edited != first
    real_crm = replace(settings, salesforce_instance_url="https://example.my.salesforce.com")
    assert up_to_date.fingerprint(real_crm, root) != edited
