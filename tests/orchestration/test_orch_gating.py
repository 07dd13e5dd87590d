"""A failing GX suite must stop the sync: proven on a tiny warehouse with one bad row (a won
opportunity that is not closed: a cross-field rule of the marts.fct_opportunities suite).

The check and the sync asset are the real builders the code location uses, the CRM is the
bundled sandbox over a socket; only the mart itself is a stand-in asset (the tiny table is
written by the fixture instead of dbt).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import requests

from orchestration.cli import summarize_run
from orchestration.defs.quality.gx_check import build_gx_check
from orchestration.defs.quality.resources import QualityGate
from orchestration.defs.reverse_etl.sync_asset import build_sync_asset, sync_asset_key
from orchestration.defs.reverse_etl.syncs import SyncRef
from orchestration.resources import CrmResource, RevloopPaths

OPPORTUNITIES = dg.AssetKey(["marts", "fct_opportunities"])


def _warehouse(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "wh.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_opportunities as select * from (values "
            + rows
            + ") t(opportunity_id, is_won, is_closed, amount, sales_cycle_days)"
        )
    return path


@dg.asset(key=OPPORTUNITIES, group_name="marts")
def opportunities_standin() -> None:
    """The table is already in the fixture warehouse; this only marks it materialised."""


def _defs(
    tmp_path: Path, wh: Path, downstream: dg.AssetsDefinition, crm: CrmResource | None = None
) -> dg.Definitions:
    return dg.Definitions(
        assets=[opportunities_standin, downstream],
        asset_checks=[build_gx_check("marts.fct_opportunities", OPPORTUNITIES)],
        resources={
            "paths": RevloopPaths(
                extracts=str(tmp_path / "extracts"),
                warehouse=str(wh),
                syncs_dir=str(tmp_path / "syncs"),
            ),
            "quality_gate": QualityGate(gx_dir=str(tmp_path / "gx")),
            # Unreachable CRM by default: if the sync ever ran, it would fail loudly.
            "crm": crm
            or CrmResource(
                salesforce_instance_url="http://127.0.0.1:9", hubspot_base_url="http://127.0.0.1:9"
            ),
        },
    )


def _run(defs: dg.Definitions) -> dg.ExecuteInProcessResult:
    job = dg.define_asset_job("gate", selection=dg.AssetSelection.all())
    defs = dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
    return defs.resolve_job_def("gate").execute_in_process(raise_on_error=False)


def test_bad_row_blocks_the_sync(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path, "('006AB12', true, false, 100.0, 30), ('006C', true, true, 50.0, 10)")
    ref = SyncRef(
        "salesforce_lead_scores", "reverse_etl.sync_salesforce__lead", "salesforce", "Lead", "Id"
    )
    sync = build_sync_asset(ref, deps=[OPPORTUNITIES])
    defs = _defs(tmp_path, wh, sync)
    result = _run(defs)

    assert not result.success
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed is False
    assert "Won opportunities that are not closed" in evaluation.description
    assert "1 of 2 rows" in evaluation.description
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert OPPORTUNITIES in materialized
    assert sync_asset_key("salesforce_lead_scores") not in materialized
    started = [
        e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START
    ]
    assert any("gx_marts__fct_opportunities" in s for s in started), started
    assert not any("salesforce_lead_scores" in s for s in started), started

    ok, lines = summarize_run(result, defs)
    assert not ok
    text = "\n".join(lines)
    assert "FAILED check marts/fct_opportunities:gx_marts__fct_opportunities" in text
    assert "the reverse ETL did NOT run" in text
    assert "syncs not run: salesforce_lead_scores" in text


CONTACT_SYNC = """
name: hubspot_contact_scores
source: reverse_etl.sync_hubspot__contact
destination: hubspot
object: contacts
external_id: email
mode: upsert
consent_column: has_consent
fields: [revloop_person_id, revloop_score]
batch_size: 100
guardrails: {allow_empty: false, max_change_share: 1.0, max_clears: 10, max_reject_share: 0.1}
"""


def test_good_rows_let_the_real_sync_asset_write_the_crm(tmp_path: Path, sandbox) -> None:
    """Control, with the real sync asset and the real CRM sandbox over a socket: clean
    opportunities pass the gate, then the sync asset sends the consented payload rows (2 of
    3; the third has no marketing consent) and the sandbox holds them afterwards."""
    wh = _warehouse(tmp_path, "('006A', true, true, 100.0, 30), ('006B', false, true, 50.0, 10)")
    with duckdb.connect(str(wh)) as con:
        con.execute("create schema reverse_etl")
        con.execute(
            "create table reverse_etl.sync_hubspot__contact as select * from (values "
            "('a@example.co.jp', 'per_a', 71.5, true), ('b@example.co.jp', 'per_b', 12.0, true), "
            "('c@example.co.jp', 'per_c', 40.0, false)"
            ") t(email, revloop_person_id, revloop_score, has_consent)"
        )
    (tmp_path / "syncs").mkdir()
    (tmp_path / "syncs" / "hubspot_contact_scores.yml").write_text(CONTACT_SYNC)
    ref = SyncRef(
        "hubspot_contact_scores",
        "reverse_etl.sync_hubspot__contact",
        "hubspot",
        "contacts",
        "email",
    )
    sync = build_sync_asset(ref, deps=[OPPORTUNITIES])
    crm = CrmResource(
        hubspot_base_url=sandbox.url,
        hubspot_access_token=sandbox.token,
        salesforce_instance_url=sandbox.url,
        salesforce_access_token=sandbox.token,
    )
    defs = _defs(tmp_path, wh, sync, crm)
    result = _run(defs)
    assert result.success
    # the GX gate passed, and so did the sync asset's own no_rejects check (issue 18)
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"gx_marts__fct_opportunities": True, "no_rejects": True}
    (mat,) = [
        e.event_specific_data.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key == sync_asset_key("hubspot_contact_scores")
    ]
    assert mat.metadata["sent"].value == 2 and mat.metadata["failed"].value == 0
    held = requests.post(
        f"{sandbox.url}/crm/v3/objects/contacts/batch/read",
        json={
            "idProperty": "email",
            "inputs": [{"id": "a@example.co.jp"}, {"id": "c@example.co.jp"}],
            "properties": ["email", "revloop_score"],
        },
        headers={"Authorization": f"Bearer {sandbox.token}"},
        timeout=10,
    ).json()["results"]
    assert [(r["properties"]["email"], r["properties"]["revloop_score"]) for r in held] == [
        ("a@example.co.jp", "71.5")
    ]
    ok, lines = summarize_run(result, defs)
    assert ok
    assert "records synced: 2 sent, 0 refused, 0 unchanged; 2 planned (1 syncs)" in "\n".join(lines)
