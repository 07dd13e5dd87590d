"""A failing GX suite must stop the sync: proven on a tiny warehouse with one bad row (a won
opportunity that is not closed: a cross-field rule of the marts.fct_opportunities suite).

The check and the sync asset are the real builders the code location uses; only the mart
itself is a stand-in asset (the tiny table is written by the fixture instead of dbt).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from orchestration.cli import summarize_run
from orchestration.defs.quality.gx_check import build_gx_check
from orchestration.defs.quality.resources import QualityGate
from orchestration.defs.reverse_etl.sync_asset import SYNC_TAG, build_sync_asset, sync_asset_key
from orchestration.defs.reverse_etl.syncs import SyncRef
from orchestration.resources import CrmResource, RevloopPaths

DIM_PEOPLE = dg.AssetKey(["marts", "fct_opportunities"])


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


@dg.asset(key=DIM_PEOPLE, group_name="marts")
def dim_people_standin() -> None:
    """The table is already in the fixture warehouse; this only marks it materialised."""


def _defs(tmp_path: Path, wh: Path, downstream: dg.AssetsDefinition) -> dg.Definitions:
    return dg.Definitions(
        assets=[dim_people_standin, downstream],
        asset_checks=[build_gx_check("marts.fct_opportunities", DIM_PEOPLE)],
        resources={
            "paths": RevloopPaths(
                extracts=str(tmp_path / "extracts"),
                warehouse=str(wh),
                syncs_dir=str(tmp_path / "syncs"),
            ),
            "quality_gate": QualityGate(gx_dir=str(tmp_path / "gx")),
            # Unreachable CRM: if the sync ever ran, it would fail loudly, not pass silently.
            "crm": CrmResource(
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
    sync = build_sync_asset(ref, deps=[DIM_PEOPLE])
    defs = _defs(tmp_path, wh, sync)
    result = _run(defs)

    assert not result.success
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed is False
    assert "Won opportunities that are not closed" in evaluation.description
    assert "1 of 2 rows" in evaluation.description
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert DIM_PEOPLE in materialized
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


def test_good_rows_let_downstream_run(tmp_path: Path) -> None:
    """Control: the same wiring with clean data runs the downstream asset."""
    wh = _warehouse(tmp_path, "('006A', true, true, 100.0, 30), ('006B', false, true, 50.0, 10)")
    ran: list[str] = []

    @dg.asset(key=sync_asset_key("recorder"), deps=[DIM_PEOPLE], tags=SYNC_TAG)
    def recorder() -> dg.MaterializeResult:
        ran.append("recorder")
        return dg.MaterializeResult(metadata={"planned": 2, "sent": 2, "failed": 0, "unchanged": 0})

    defs = _defs(tmp_path, wh, recorder)
    result = _run(defs)
    assert result.success
    assert [e.passed for e in result.get_asset_check_evaluations()] == [True]
    assert ran == ["recorder"]
    ok, lines = summarize_run(result, defs)
    assert ok
    assert "records synced: 2 sent, 0 failed, 0 unchanged of 2 planned (1 syncs)" in "\n".join(
        lines
    )
