"""Two writers at once (finding 6): a writer waits for DuckDB's lock, bounded, and when it
gives up it names the process holding the file.

The holder is a real second process with the warehouse open for writing; it keeps the lock
until its stdin is closed, so the test decides when it lets go (no timers). The loader's
"is locked by ...; waiting" warning is the event that says the loader is waiting.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from test_load_helpers import csv_text, marketo_lead, rows, write

from connectors.load import load_all
from connectors.load.report import LoadReport
from connectors.load.warehouse import WarehouseBusy

HOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
sys.stdin.read()
con.close()
"""


def _hold(warehouse: Path) -> subprocess.Popen:
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


class _Waiting(logging.Handler):
    """Sets ``event`` when the warehouse module announces that it waits for the lock."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.event = threading.Event()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "is locked by" in message and "waiting up to" in message:
            self.messages.append(message)
            self.event.set()


def test_a_load_waits_for_another_writer_to_finish(extracts: Path, warehouse: Path):
    """Before: the loader failed at once with DuckDB's lock error. Now: it announces that it
    waits (naming the holder), the holder lets go, and the load completes with its row."""
    write(extracts / "marketo/leads/2026-10-30.csv", csv_text([marketo_lead("1")]))
    holder = _hold(warehouse)
    watcher = _Waiting()
    logger = logging.getLogger("connectors.load.warehouse")
    logger.addHandler(watcher)
    result: dict[str, LoadReport | BaseException] = {}

    def load() -> None:
        try:
            result["report"] = load_all(warehouse, extracts, lock_wait_seconds=120)
        except BaseException as exc:  # handed to the test thread
            result["report"] = exc

    loader = threading.Thread(target=load)
    try:
        loader.start()
        assert watcher.event.wait(timeout=60), "the loader never said it was waiting"
        assert "report" not in result  # still waiting while the holder has the file
    finally:
        holder.communicate(timeout=30)  # release the lock
        loader.join(timeout=120)
        logger.removeHandler(watcher)
    report = result["report"]
    assert isinstance(report, LoadReport), report
    assert report.ok and report.rows_loaded == 1
    assert f"PID {holder.pid}" in watcher.messages[0]
    assert rows(warehouse, "SELECT count(*) FROM raw.marketo__leads") == [(1,)]


def test_the_wait_is_bounded_and_names_the_holder(extracts: Path, warehouse: Path):
    holder = _hold(warehouse)
    try:
        with pytest.raises(WarehouseBusy) as caught:
            load_all(warehouse, extracts, lock_wait_seconds=0.5)
    finally:
        holder.communicate(timeout=30)
    message = str(caught.value)
    assert f"PID {holder.pid}" in message and "gave up after waiting" in message
    assert "import sys, duckdb" in message  # the holder's command line
