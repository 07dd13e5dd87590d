"""The whole generated sample loads: quarantine matches the generator's list of bad rows.

Uses the session's generated ``small`` world (tests/conftest.py); ``scripts/bench_load.py``
runs the same check with timings at every scale.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from test_load_helpers import rows

from connectors.load import load_all


def test_generated_small_world_loads_and_reconciles(tmp_path: Path, small_world: dict[str, Path]):
    extracts, truth = small_world["extracts"], small_world["truth"]
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
