"""Opening the DuckDB warehouse for the gate: read-only, UTC, waiting politely for a writer.

DuckDB lets one process write a file; another process's read-only open fails while the
writer holds it. The gate runs between writers, but a sensor-started run, a UI
materialisation or ``revloop run`` may hold the file for a while, so opening retries for a
bounded time and then names the file and what to do instead of failing obscurely.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

LOCK_WAIT_SECONDS = 120.0


class WarehouseBusy(RuntimeError):
    """Another process held the warehouse's write lock for longer than we wait."""


def connect(
    path: Path, *, read_only: bool = True, wait_seconds: float = LOCK_WAIT_SECONDS
) -> duckdb.DuckDBPyConnection:
    """A connection to ``path`` in UTC; retries while another process holds the lock."""
    deadline = time.monotonic() + wait_seconds
    delay = 0.2
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            con.execute("SET TimeZone = 'UTC'")
            return con
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                if "lock" in str(exc).lower():
                    raise WarehouseBusy(
                        f"{path}: another process holds DuckDB's write lock ({exc}); waited "
                        f"{wait_seconds:.0f} s. Let that run finish, then run the gate again."
                    ) from exc
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str] | None:
    """Column names of ``schema.table`` in order, or None when it does not exist."""
    schema, _, name = table.rpartition(".")
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema or "main", name],
    ).fetchall()
    return [r[0] for r in rows] or None
