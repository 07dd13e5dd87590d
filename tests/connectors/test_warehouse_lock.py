"""Two writers at once (finding 6): a writer waits for DuckDB's lock, bounded, and when it
gives up it names the process holding the file."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_load_helpers import csv_text, marketo_lead, rows, write

from connectors.load import load_all
from connectors.load.warehouse import WarehouseBusy

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def _hold(warehouse: Path, seconds: float) -> subprocess.Popen:
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(warehouse), str(seconds)], stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_a_load_waits_for_another_writer_to_finish(extracts: Path, warehouse: Path):
    """Before: the loader failed at once with DuckDB's lock error."""
    write(extracts / "marketo/leads/2026-10-30.csv", csv_text([marketo_lead("1")]))
    holder = _hold(warehouse, 1.5)
    try:
        started = time.monotonic()
        report = load_all(warehouse, extracts, lock_wait_seconds=60)
        waited = time.monotonic() - started
    finally:
        holder.wait(timeout=30)
    assert report.ok and report.rows_loaded == 1
    assert waited > 0.5  # it did wait for the holder
    assert rows(warehouse, "SELECT count(*) FROM raw.marketo__leads") == [(1,)]


def test_the_wait_is_bounded_and_names_the_holder(extracts: Path, warehouse: Path):
    holder = _hold(warehouse, 30)
    try:
        with pytest.raises(WarehouseBusy) as caught:
            load_all(warehouse, extracts, lock_wait_seconds=0.5)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    message = str(caught.value)
    assert f"PID {holder.pid}" in message and "gave up after waiting" in message
    assert "import sys, time, duckdb" in message  # the holder's command line
