"""A short-lived lease on the warehouse's single writer connection.

DuckDB allows one writer process per file, so the engine must not sit on the file while it
waits for a CRM. But opening a DuckDB file costs ~0.1 s, more than a whole batch round trip
to a fast API, so reopening per batch would cap throughput at a few hundred records/s. The
lease keeps the connection open while confirmed batches arrive back to back and closes it
as soon as the destination goes quiet for `idle_close` seconds (backoff, bulk polling, slow
API) — and always at the end of the sync. Every batch is still its own transaction, so a
SIGKILL loses at most the in-flight batch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb

log = logging.getLogger(__name__)
T = TypeVar("T")

LOCK_TIMEOUT = 60.0


def connect(path: Path | str, read_only: bool = False, timeout: float = LOCK_TIMEOUT):
    """Open the warehouse, waiting (with backoff) while another process holds its lock.

    A dashboard or a Dagster reader may hold the file for a moment; the sync waits for it
    instead of failing a batch whose records the CRM already confirmed.
    """
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            log.info("warehouse %s is locked by another process; retrying in %.2fs", path, delay)
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


class WarehouseLease:
    """Serialises writes through one lazily opened connection that closes when idle."""

    def __init__(
        self,
        path: Path,
        idle_close: float = 0.5,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        """`con`: an open connection to adopt (closed by the lease like its own)."""
        self.path = str(path)
        self.idle_close = idle_close
        self._con: duckdb.DuckDBPyConnection | None = con
        self._last_used = time.monotonic() if con is not None else 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._reaper: threading.Thread | None = None
        self.opens = 0

    def __enter__(self) -> WarehouseLease:
        self._reaper = threading.Thread(target=self._reap, name="warehouse-lease", daemon=True)
        self._reaper.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._reaper is not None:
            self._reaper.join(timeout=5)
        self._close()

    def transaction(self, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run `work` in one transaction (rolled back on error), opening the file if needed."""
        with self._lock:
            if self._con is None:
                self._con = connect(self.path)
                self.opens += 1
            con = self._con
            con.begin()
            try:
                result = work(con)
            except BaseException:
                con.rollback()
                raise
            con.commit()
            self._last_used = time.monotonic()
            return result

    def _reap(self) -> None:
        while not self._stop.wait(self.idle_close / 4):
            with self._lock:
                idle = time.monotonic() - self._last_used
                if self._con is not None and idle >= self.idle_close:
                    log.debug("warehouse idle %.2fs during sync: releasing the file", idle)
                    self._con.close()
                    self._con = None

    def _close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
