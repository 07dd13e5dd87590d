"""The published snapshot as the dashboard sees it: one read-only DuckDB file and its build.

The publisher replaces the file atomically (``os.replace``), so a new build is a new inode.
``SnapshotReader.current()`` stats the file on every page run (microseconds) and reopens it
only when the inode or modification time changed; the build key (``_release.build`` id plus
when its sync results were added) then changes, and with it every cache entry the pages use.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

# the name the snapshot file is attached under (see open_read_only)
SNAPSHOT_CATALOG = "snapshot"


class SnapshotMissing(RuntimeError):
    """No published snapshot yet (no run has passed its gate), or it cannot be read."""


@dataclass(frozen=True)
class Build:
    """The ``_release.build`` row of the open snapshot."""

    build_id: str
    run_id: str
    as_of: object
    published_at: object
    sync_results_at: object

    @property
    def key(self) -> str:
        """What every cache is keyed on: the build id, plus when its sync results were added
        (the same build is re-published once with the outcome of its syncs)."""
        return f"{self.build_id}@{self.sync_results_at}"


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection on the snapshot, in UTC.

    An in-memory database that ATTACHes the file read-only and USEs it, not
    ``duckdb.connect(path, read_only=True)``: DuckDB caches database instances by path, so
    while the old connection is still open a second ``connect`` to the same path returns
    the OLD instance and never sees the file the publisher renamed over it. A fresh
    in-memory instance opens the file as it is now."""
    con = duckdb.connect(":memory:")
    try:
        escaped = str(path).replace("'", "''")
        con.execute(f"ATTACH '{escaped}' AS {SNAPSHOT_CATALOG} (READ_ONLY)")
        con.execute(f"USE {SNAPSHOT_CATALOG}")
        # GLOBAL: the cursors the pages use inherit it (USE they do not: see cursor())
        con.execute("SET GLOBAL TimeZone = 'UTC'")
    except BaseException:
        con.close()
        raise
    return con


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor (one per query: a connection is not shared between threads, its cursors
    may be) whose default catalog is the snapshot, as ``USE`` does not carry over to
    cursors. On a plain connection to the file (a BI tool's, a test's) it is already so."""
    cur = con.cursor()
    with contextlib.suppress(duckdb.CatalogException):
        cur.execute(f"USE {SNAPSHOT_CATALOG}")
    return cur


def read_build(con: duckdb.DuckDBPyConnection) -> Build:
    cur = con.execute("SELECT * FROM _release.build")
    names = [d[0] for d in cur.description]
    row = cur.fetchone()
    if row is None:
        raise SnapshotMissing("the snapshot has no _release.build row")
    values = dict(zip(names, row, strict=True))
    return Build(
        build_id=str(values["build_id"]),
        run_id=str(values.get("run_id") or ""),
        as_of=values.get("as_of"),
        published_at=values.get("published_at"),
        sync_results_at=values.get("sync_results_at"),
    )


class SnapshotReader:
    """One shared read-only connection per published build; ``cursor()`` per query (a DuckDB
    connection is not shared between threads, its cursors may be)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stat: tuple[int, int, int] | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._build: Build | None = None

    def current(self) -> tuple[duckdb.DuckDBPyConnection, Build]:
        """The connection and build of the snapshot as it is now (reopened when replaced)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError as exc:
            raise SnapshotMissing(
                f"no published snapshot at {self.path}: run `revloop run` (a run publishes "
                "only after its quality gate passed)"
            ) from exc
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            if self._con is None or stamp != self._stat:
                try:
                    con = open_read_only(self.path)
                    build = read_build(con)
                except duckdb.Error as exc:
                    raise SnapshotMissing(f"cannot read the snapshot {self.path}: {exc}") from exc
                # the old connection is dropped, not closed: a page still running on it
                # finishes on the old build (its file stays readable until then)
                self._con, self._build, self._stat = con, build, stamp
            assert self._build is not None
            return self._con, self._build

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
            self._con = None
            self._stat = None
