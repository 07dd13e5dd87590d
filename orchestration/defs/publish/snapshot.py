"""The published snapshot: the public ``marts`` tables copied to a second DuckDB file.

Readers (the dashboard, BI tools, analysts) open the snapshot ``read_only`` and never the
working warehouse, so they never hold DuckDB's lock against the nightly writer and never see
a build the gate has not passed. Publishing writes a complete new file next to the
snapshot, checkpoints and closes it, makes it read-only (mode 0444) and renames it over the
old one (``os.replace``: atomic on one filesystem): a reader sees the old snapshot or the
new one, never half of either; a reader already connected keeps the old file until it
reconnects. When the gate fails nothing here runs, so the last good snapshot stays.

Besides ``marts.*`` the snapshot holds ``_release.build`` (build id, run id, as-of,
published at), ``_release.tables`` (row counts), ``_release.figures`` (the release diff's
key figures) and ``_release.checks`` (every check of the build: passed or the warning it
raised, with owner and backup — what the dashboard shows as data alerts).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

SNAPSHOT_SCHEMA = "marts"
DEFAULT_SNAPSHOT_NAME = "revloop_published.duckdb"


def snapshot_location(warehouse: Path, override: str | Path | None = None) -> Path:
    """Where the published snapshot lives: ``override`` (``REVLOOP_SNAPSHOT``) if given, else
    ``revloop_published.duckdb`` beside the warehouse file. Readers (the dashboard) use this
    with the same inputs as the publisher, so both agree without sharing state."""
    if override:
        return Path(override)
    return Path(warehouse).resolve().parent / DEFAULT_SNAPSHOT_NAME


@dataclass(frozen=True)
class Published:
    path: Path
    build_id: str
    tables: dict[str, int]
    bytes: int
    published_at: dt.datetime


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def publish_snapshot(
    warehouse: Path,
    snapshot: Path,
    build_id: str,
    *,
    run_id: str = "",
    as_of: dt.datetime | None = None,
    checks: list[tuple[str, str, bool, str, str, str, str]] | None = None,
) -> Published:
    """Copy every ``marts`` table of ``warehouse`` into ``snapshot`` atomically.

    ``checks``: ``(asset, check, passed, severity, description, owner, backup)`` of the build.
    """
    warehouse, snapshot = Path(warehouse).resolve(), Path(snapshot).resolve()
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    tmp = snapshot.with_name(f".{snapshot.name}.{os.getpid()}.tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    published_at = dt.datetime.now(dt.UTC)
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"ATTACH {_sql_str(str(warehouse))} AS wh (READ_ONLY)")
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'wh' "
                "AND schema_name = ? ORDER BY table_name",
                [SNAPSHOT_SCHEMA],
            ).fetchall()
        ]
        con.execute(f"CREATE SCHEMA {SNAPSHOT_SCHEMA}")
        tables: dict[str, int] = {}
        for name in names:
            q = f'{SNAPSHOT_SCHEMA}."{name}"'
            con.execute(f"CREATE TABLE {q} AS SELECT * FROM wh.{q}")
            tables[name] = con.execute(f"SELECT count(*) FROM {q}").fetchone()[0]
        con.execute("CREATE SCHEMA _release")
        con.execute(
            "CREATE TABLE _release.build AS SELECT ? AS build_id, ? AS run_id, "
            "CAST(? AS TIMESTAMPTZ) AS as_of, CAST(? AS TIMESTAMPTZ) AS published_at, "
            "? AS source_warehouse",
            [build_id, run_id, as_of, published_at, str(warehouse)],
        )
        con.execute(
            "CREATE TABLE _release.tables AS SELECT * FROM (VALUES "
            + (", ".join(f"({_sql_str(t)}, {n})" for t, n in tables.items()) or "(NULL, NULL)")
            + ") t(table_name, row_count) WHERE table_name IS NOT NULL"
        )
        has_figures = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'wh' "
            "AND schema_name = 'quality' AND table_name = 'release_figures'"
        ).fetchone()[0]
        if has_figures:
            con.execute(
                "CREATE TABLE _release.figures AS SELECT figure, dimension, value "
                "FROM wh.quality.release_figures WHERE build_id = ?",
                [build_id],
            )
        con.execute(
            "CREATE TABLE _release.checks (asset VARCHAR, check_name VARCHAR, passed BOOLEAN, "
            "severity VARCHAR, description VARCHAR, owner VARCHAR, backup VARCHAR)"
        )
        if checks:
            con.executemany("INSERT INTO _release.checks VALUES (?, ?, ?, ?, ?, ?, ?)", checks)
        con.execute("DETACH wh")
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.chmod(tmp, 0o444)
    os.replace(tmp, snapshot)
    return Published(snapshot, build_id, tables, snapshot.stat().st_size, published_at)


def read_build(snapshot: Path) -> dict | None:
    """The snapshot's ``_release.build`` row (None when there is no snapshot yet)."""
    if not Path(snapshot).exists():
        return None
    with duckdb.connect(str(snapshot), read_only=True) as con:
        cur = con.execute("SELECT * FROM _release.build")
        names = [d[0] for d in cur.description]
        row = cur.fetchone()
    return dict(zip(names, row, strict=True)) if row else None
