"""Open the DuckDB warehouse as a writer, waiting a bounded time for another writer to finish.

DuckDB allows one writer process per file. The nightly run, a sensor-triggered ingest, a
materialisation from the Dagster UI and a ``revloop`` command can overlap; instead of failing
at once with DuckDB's lock error, a writer waits for the lock (with backoff) and, if the wait
runs out, fails with a message that names the process holding the file.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

# Long enough for a nightly load of the large sample (~90 s) plus dbt, short enough that a
# stuck holder is reported the same night.
DEFAULT_LOCK_WAIT_SECONDS = 600.0
_PID = re.compile(r"PID (\d+)")


class WarehouseBusy(RuntimeError):
    """Another process kept the warehouse's write lock for longer than the wait allowed."""


def lock_holder(error: Exception) -> str:
    """``PID n (command line)`` of the process DuckDB says holds the lock, as far as known."""
    m = _PID.search(str(error))
    if not m:
        return "another process"
    pid = m.group(1)
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        command = " ".join(p.decode(errors="replace") for p in raw.split(b"\0") if p)
    except OSError:
        command = ""
    return f"PID {pid} ({command[:200]})" if command else f"PID {pid}"


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def connect(
    path: Path | str,
    *,
    read_only: bool = False,
    wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
) -> duckdb.DuckDBPyConnection:
    """Open ``path`` (UTC, no progress bar), waiting up to ``wait_seconds`` for its lock."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    delay = 0.05
    announced = False
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise
            waited = time.monotonic() - started
            holder = lock_holder(exc)
            if waited >= wait_seconds:
                raise WarehouseBusy(
                    f"{path} is locked by {holder}; gave up after waiting {waited:.0f} s "
                    f"(limit {wait_seconds:.0f} s). Let that run finish or stop it, then "
                    "run again."
                ) from exc
            if not announced:
                log.warning("%s is locked by %s; waiting up to %.0f s", path, holder, wait_seconds)
                announced = True
            time.sleep(min(delay, max(0.0, wait_seconds - waited)))
            delay = min(delay * 2, 2.0)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con
