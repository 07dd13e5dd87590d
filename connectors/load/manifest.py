"""``raw._manifest`` and ``raw._schema_drift``: what was loaded, when, and what looked odd.

The manifest is what makes loading incremental and idempotent: a file is identified by its
relative path and the SHA-256 of its bytes; a path already recorded (other than ``failed``)
is skipped, and a new path whose checksum was already loaded is recorded as a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

MANIFEST_DDL = """
CREATE TABLE IF NOT EXISTS raw._manifest (
    file VARCHAR NOT NULL,
    checksum VARCHAR NOT NULL,
    rows_in BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    status VARCHAR NOT NULL,          -- loaded | empty | duplicate | failed
    batch_id VARCHAR NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL,
    source VARCHAR,
    table_name VARCHAR,
    bytes BIGINT,
    encoding VARCHAR,                 -- utf-8 | utf-8-sig | cp932 | gzip+...
    duplicate_of VARCHAR,             -- status=duplicate: the file first loaded with these bytes
    error VARCHAR                     -- for status=failed: what differs from the contract
)
"""

DRIFT_DDL = """
CREATE TABLE IF NOT EXISTS raw._schema_drift (
    file VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL,
    change VARCHAR NOT NULL,          -- extra_column (kept in _extra)
    batch_id VARCHAR NOT NULL,
    detected_at TIMESTAMPTZ NOT NULL
)
"""

DONE_STATUSES = ("loaded", "empty", "duplicate")


@dataclass
class ManifestEntry:
    """One manifest row, written in the same transaction as the file's rows."""

    file: str
    checksum: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    status: str
    batch_id: str
    loaded_at: datetime
    source: str | None = None
    table_name: str | None = None
    bytes: int | None = None
    encoding: str | None = None
    duplicate_of: str | None = None
    error: str | None = None


def ensure_metadata_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute("CREATE SCHEMA IF NOT EXISTS quarantine")
    con.execute(MANIFEST_DDL)
    con.execute(DRIFT_DDL)


def done_files(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Paths that need no further work (loaded, empty or recognised duplicate)."""
    rows = con.execute(
        "SELECT DISTINCT file FROM raw._manifest WHERE status IN ('loaded', 'empty', 'duplicate')"
    ).fetchall()
    return {r[0] for r in rows}


def loaded_checksums(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """checksum → first file loaded with those bytes (read once per run, not per file)."""
    rows = con.execute(
        "SELECT checksum, arg_min(file, loaded_at) FROM raw._manifest "
        "WHERE status = 'loaded' GROUP BY checksum"
    ).fetchall()
    return dict(rows)


def record_many(con: duckdb.DuckDBPyConnection, entries: list[ManifestEntry]) -> None:
    """Insert many entries with few statements (a small file costs one row, not one query)."""
    if not entries:
        return
    files = [e.file for e in entries]
    con.execute(
        "DELETE FROM raw._manifest WHERE status = 'failed' AND list_contains(?, file)", [files]
    )
    fields = list(ManifestEntry.__dataclass_fields__)
    # One statement whatever the count: a column list per field, zipped back by unnest.
    columns = ", ".join(f"unnest(${i + 1})" for i in range(len(fields)))
    con.execute(
        f"INSERT INTO raw._manifest SELECT {columns}",
        [[getattr(e, f) for e in entries] for f in fields],
    )


def record(con: duckdb.DuckDBPyConnection, entry: ManifestEntry) -> None:
    """Insert the entry, replacing an earlier ``failed`` attempt for the same path."""
    con.execute("DELETE FROM raw._manifest WHERE file = ? AND status = 'failed'", [entry.file])
    con.execute(
        "INSERT INTO raw._manifest VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            entry.file,
            entry.checksum,
            entry.rows_in,
            entry.rows_loaded,
            entry.rows_quarantined,
            entry.status,
            entry.batch_id,
            entry.loaded_at,
            entry.source,
            entry.table_name,
            entry.bytes,
            entry.encoding,
            entry.duplicate_of,
            entry.error,
        ],
    )
