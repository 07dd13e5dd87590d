"""The whole generated sample loads: quarantine matches the generator's list of bad rows.

Slow (generates the ``small`` world, ~1-2 min on 2 cores), so opt in with REVLOOP_SLOW_TESTS=1;
``scripts/bench_load.py`` runs the same check with timings.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from pathlib import Path

import pytest
from test_load_helpers import rows

from connectors.load import load_all

pytestmark = pytest.mark.skipif(
    os.environ.get("REVLOOP_SLOW_TESTS") != "1", reason="set REVLOOP_SLOW_TESTS=1 (slow)"
)


def test_generated_small_world_loads_and_reconciles(tmp_path: Path):
    from connectors.generate import generate

    extracts, truth = tmp_path / "extracts", tmp_path / "truth"
    generate(extracts, scale="small", seed=42, truth_dir=truth)
    warehouse = tmp_path / "w.duckdb"
    report = load_all(warehouse, extracts)
    assert report.ok, report.summary()
    with (truth / "malformed_rows.csv").open(encoding="utf-8") as handle:
        bad = list(csv.DictReader(handle))
    by_source = Counter(r["source"] for r in bad)
    got = Counter()
    for table, quarantined in rows(
        warehouse, "SELECT table_name, sum(rows_quarantined) FROM raw._manifest GROUP BY 1"
    ):
        got[table.split("__")[0]] += int(quarantined)
    assert {k: v for k, v in got.items() if v} == dict(by_source)
    # every bad row is quarantined at the file and row the generator says
    quarantined = set()
    for (table,) in rows(warehouse, "SELECT DISTINCT table_name FROM raw._manifest"):
        quarantined |= set(
            rows(warehouse, f"SELECT _source_file, _row_number FROM quarantine.{table}")
        )
    assert {(r["file"], int(r["row"])) for r in bad} <= quarantined
    assert rows(
        warehouse,
        "SELECT count(*) FROM raw._manifest WHERE rows_in <> rows_loaded + rows_quarantined",
    ) == [(0,)]
    again = load_all(warehouse, extracts)
    assert (again.files_loaded, again.rows_loaded) == (0, 0)
