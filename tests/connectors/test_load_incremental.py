"""Incremental and idempotent: the manifest decides what is new; a file loads all or nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from test_load_helpers import csv_text, marketo_lead, rows, sf_lead, sf_page, write

from connectors.load import list_pending_files, load_all, manifest

LEADS = "marketo/leads"


def test_second_run_loads_nothing_and_new_file_loads_alone(extracts: Path, warehouse: Path):
    write(extracts / f"{LEADS}/2026-10-30.csv", csv_text([marketo_lead("1"), marketo_lead("2")]))
    write(extracts / "salesforce/Lead/20261030T000000Z-0001.json", sf_page([sf_lead(1)]))
    first = load_all(warehouse, extracts)
    assert (first.files_loaded, first.rows_loaded) == (2, 3)

    second = load_all(warehouse, extracts)
    assert (second.files_loaded, second.rows_loaded, second.files_skipped) == (0, 0, 2)
    assert rows(warehouse, "SELECT count(*) FROM raw.marketo__leads") == [(2,)]

    # A later file with a newer version of lead 2: raw keeps both versions.
    write(extracts / f"{LEADS}/2026-10-31.csv", csv_text([marketo_lead("2", leadScore="80")]))
    third = load_all(warehouse, extracts)
    assert (third.files_loaded, third.rows_loaded) == (1, 1)
    assert rows(
        warehouse, "SELECT id, leadScore FROM raw.marketo__leads ORDER BY _source_file, id"
    ) == [("1", 35), ("2", 35), ("2", 80)]
    batches = rows(warehouse, "SELECT count(DISTINCT _batch_id) FROM raw.marketo__leads")
    assert batches == [(2,)]


def test_redelivered_file_under_new_name_is_a_duplicate(extracts: Path, warehouse: Path):
    original = write(extracts / f"{LEADS}/2026-10-30.csv", csv_text([marketo_lead("1")]))
    load_all(warehouse, extracts)
    shutil.copy(original, extracts / f"{LEADS}/2026-10-30-resent.csv")
    report = load_all(warehouse, extracts)
    assert report.rows_loaded == 0
    assert report.duplicates == {f"{LEADS}/2026-10-30-resent.csv": f"{LEADS}/2026-10-30.csv"}
    assert rows(
        warehouse,
        "SELECT status, duplicate_of FROM raw._manifest WHERE file LIKE '%resent%'",
    ) == [("duplicate", f"{LEADS}/2026-10-30.csv")]
    assert rows(warehouse, "SELECT count(*) FROM raw.marketo__leads") == [(1,)]


def test_crash_mid_file_leaves_nothing_half_loaded(
    extracts: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch
):
    write(
        extracts / f"{LEADS}/2026-10-30.csv",
        csv_text([marketo_lead("1"), marketo_lead("x", createdAt="bad")]),
    )

    def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("power cut after raw and quarantine inserts")

    # Fault injection: the manifest write is the last statement of the file's transaction.
    monkeypatch.setattr(manifest, "record_many", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        load_all(warehouse, extracts)
    assert rows(warehouse, "SELECT count(*) FROM raw.marketo__leads") == [(0,)]
    assert rows(warehouse, "SELECT count(*) FROM quarantine.marketo__leads") == [(0,)]
    assert rows(warehouse, "SELECT count(*) FROM raw._manifest") == [(0,)]

    monkeypatch.undo()
    report = load_all(warehouse, extracts)
    assert (report.rows_loaded, report.rows_quarantined) == (1, 1)


def test_list_pending_files_is_read_only_and_incremental(extracts: Path, warehouse: Path):
    a = write(extracts / f"{LEADS}/2026-10-30.csv", csv_text([marketo_lead("1")]))
    assert list_pending_files(warehouse, extracts) == [a]
    assert not warehouse.exists()  # read-only: no warehouse created
    load_all(warehouse, extracts)
    assert list_pending_files(warehouse, extracts) == []
    b = write(extracts / "salesforce/Lead/20261031T000000Z-0001.json", sf_page([sf_lead(1)]))
    # Works while another process only reads the file, and never takes the write lock.
    reader = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert list_pending_files(warehouse, extracts) == [b]
    finally:
        reader.close()


def test_failed_file_is_retried_and_replaced_once_fixed(extracts: Path, warehouse: Path):
    bad = write(extracts / f"{LEADS}/2026-10-30.csv", "id,email\n1,a@b.jp\n")
    first = load_all(warehouse, extracts)
    assert len(first.failures) == 1
    assert "missing required column(s)" in first.failures[0].error
    write(bad, csv_text([marketo_lead("1")]))  # the vendor re-exports the same day
    second = load_all(warehouse, extracts)
    assert second.ok and second.rows_loaded == 1
    # Both deliveries stay in the manifest; the failed one is superseded by the good one.
    got = rows(
        warehouse,
        "SELECT status, superseded_at IS NOT NULL, split_part(superseded_by, '@', 1) "
        "FROM raw._manifest ORDER BY loaded_at",
    )
    assert got == [("failed", True, f"{LEADS}/2026-10-30.csv"), ("loaded", False, None)]


def test_list_pending_files_while_a_load_holds_the_lock(extracts: Path, warehouse: Path):
    write(extracts / f"{LEADS}/2026-10-30.csv", csv_text([marketo_lead("1")]))
    load_all(warehouse, extracts)
    write(extracts / f"{LEADS}/2026-10-31.csv", csv_text([marketo_lead("2")]))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert list_pending_files(warehouse, extracts) == []  # busy: nothing, no crash
    finally:
        holder.communicate(timeout=30)  # closing its stdin releases the lock
    assert holder.returncode == 0
    assert [p.name for p in list_pending_files(warehouse, extracts)] == ["2026-10-31.csv"]


# Holds the write lock until its stdin is closed (no timer: the test says when).
HOLD_LOCK = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
sys.stdin.read()
con.close()
"""
