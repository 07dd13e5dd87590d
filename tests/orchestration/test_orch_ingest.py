"""The ingest assets and the new-file sensor on a real (tiny) GA4 extract and DuckDB file."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs.ingest.assets import ingest_assets, raw_asset_key
from orchestration.defs.ingest.sensors import new_extract_files_sensor
from orchestration.defs.quality.gx_check import build_gx_check
from orchestration.defs.quality.resources import QualityGate
from orchestration.resources import RevloopPaths


def _event(ts: int, name: str, cookie: str) -> str:
    return json.dumps(
        {
            "event_date": "20241101",
            "event_timestamp": str(ts),
            "event_name": name,
            "event_params": [
                {"key": "page_location", "value": {"string_value": "https://www.revloop.example/"}},
                {"key": "ga_session_id", "value": {"int_value": "1730431782"}},
            ],
            "user_pseudo_id": cookie,
            "user_id": None,
            "traffic_source": {"name": "(direct)", "medium": "(none)", "source": "(direct)"},
            "collected_traffic_source": {"manual_source": None, "gclid": None},
            "device": {"category": "desktop"},
            "geo": {"country": "Japan", "city": "Tokyo"},
        }
    )


@pytest.fixture
def extracts(tmp_path: Path) -> Path:
    folder = tmp_path / "extracts" / "ga4"
    folder.mkdir(parents=True)
    lines = [
        _event(1730431782000509, "first_visit", "1.1"),
        _event(1730431782001694, "session_start", "1.1"),
        _event(1730431782002643, "page_view", "1.1"),
    ]
    (folder / "events_20241101.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path / "extracts"


def _materialize(paths: RevloopPaths) -> dict:
    (load_ga4,) = [a for a in ingest_assets if a.node_def.name == "load_ga4"]
    check = build_gx_check("raw.ga4__events", raw_asset_key("ga4", "events"))
    result = dg.materialize(
        [load_ga4, check], resources={"paths": paths, "quality_gate": QualityGate()}
    )
    assert result.success
    (mat,) = result.asset_materializations_for_node("load_ga4")
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed, evaluation.description
    return {k: getattr(v, "value", v) for k, v in mat.metadata.items()}


def test_load_is_idempotent_and_reports_counts(tmp_path: Path, extracts: Path) -> None:
    paths = RevloopPaths(
        extracts=str(extracts),
        warehouse=str(tmp_path / "wh" / "revloop.duckdb"),
        syncs_dir=str(tmp_path),
    )
    first = _materialize(paths)
    assert (first["rows_loaded"], first["rows_total"], first["files_loaded"]) == (3, 3, 1)
    assert first["table"] == "raw.ga4__events"
    second = _materialize(paths)  # same files again: nothing new, nothing doubled
    assert (second["rows_loaded"], second["rows_total"], second["files_loaded"]) == (0, 3, 0)


def test_sensor_requests_a_run_only_for_new_files(tmp_path: Path, extracts: Path) -> None:
    warehouse = tmp_path / "wh" / "revloop.duckdb"
    paths = RevloopPaths(extracts=str(extracts), warehouse=str(warehouse), syncs_dir=".")
    request = new_extract_files_sensor(dg.build_sensor_context(resources={"paths": paths}))
    assert isinstance(request, dg.RunRequest)
    assert request.tags["revloop/pending_files"] == "1"
    _materialize(paths)
    again = new_extract_files_sensor(dg.build_sensor_context(resources={"paths": paths}))
    assert isinstance(again, dg.SkipReason)
