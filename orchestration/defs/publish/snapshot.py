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

For the dashboard's data-health page, which reads nothing but the snapshot, publishing also
copies the few operational facts a reader needs, each small and bounded:
``_release.loads`` (raw._manifest per source table: files, rows, quarantined, failed),
``_release.quarantine`` (quarantined rows counted per table, field and reason) and
``_release.quarantined_rows`` (the newest QUARANTINE_SAMPLE rows of each table with file,
row and reason), ``_release.owners`` (Salesforce users: id, name, team = department, so
speed to lead can be cut by team), ``_release.definitions`` (the dbt docs text of every
published model and column, from the manifest the build ran with: the dashboard's one
source of definitions), and ``_release.sync_runs`` / ``_release.sync_rejects`` (the
reverse-ETL run log and the dead letter without payloads). The syncs run after publishing,
so ``refresh_sync_results`` re-publishes the snapshot with the two sync tables once they
finished (same build; ``_release.build.sync_results_at`` says when they were copied).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

SNAPSHOT_SCHEMA = "marts"
DEFAULT_SNAPSHOT_NAME = "revloop_published.duckdb"
# newest quarantined rows kept per raw table (the counts in _release.quarantine are complete)
QUARANTINE_SAMPLE = 500
# sync runs kept (one row per sync and night: about a year of seven syncs)
SYNC_RUNS_KEPT = 3000


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
    manifest: Path | None = None,
) -> Published:
    """Copy every ``marts`` table of ``warehouse`` into ``snapshot`` atomically.

    ``checks``: ``(asset, check, passed, severity, description, owner, backup)`` of the build.
    ``manifest``: the dbt ``manifest.json`` of the build, whose descriptions become
    ``_release.definitions`` (empty without one).
    """
    warehouse, snapshot = Path(warehouse).resolve(), Path(snapshot).resolve()
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    tmp = snapshot.with_name(f".{snapshot.name}.{os.getpid()}.tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    published_at = dt.datetime.now(dt.UTC)
    con = _connect_bounded(tmp)
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
            "? AS source_warehouse, CAST(? AS TIMESTAMPTZ) AS sync_results_at",
            [build_id, run_id, as_of, published_at, str(warehouse), published_at],
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
        _copy_loads_and_quarantine(con)
        _copy_owners(con)
        _copy_definitions(con, manifest, names)
        _copy_sync_results(con)
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


def _connect_bounded(path: Path) -> duckdb.DuckDBPyConnection:
    """A writing connection bounded like dbt's (profiles.yml): copying two years of events
    would otherwise let DuckDB take its default of 80 % of RAM."""
    memory = os.environ.get("REVLOOP_DUCKDB_MEMORY_LIMIT", "2560MB")
    return duckdb.connect(str(path), config={"memory_limit": memory})


def _wh_tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'wh' "
            "AND schema_name = ? UNION ALL SELECT view_name FROM duckdb_views() "
            "WHERE database_name = 'wh' AND schema_name = ?",
            [schema, schema],
        ).fetchall()
    }


def _copy_loads_and_quarantine(con: duckdb.DuckDBPyConnection) -> None:
    """``_release.loads`` (per source table), ``_release.quarantine`` (counts per table, field
    and reason) and ``_release.quarantined_rows`` (the newest rows of each table)."""
    con.execute(
        "CREATE TABLE _release.loads (source VARCHAR, table_name VARCHAR, files BIGINT, "
        "failed_files BIGINT, rows_in BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, "
        "first_loaded_at TIMESTAMPTZ, last_loaded_at TIMESTAMPTZ, last_batch_id VARCHAR)"
    )
    if "_manifest" in _wh_tables(con, "raw"):
        con.execute(
            "INSERT INTO _release.loads SELECT source, table_name, count(*), "
            "count(*) FILTER (WHERE status = 'failed'), sum(rows_in), sum(rows_loaded), "
            "sum(rows_quarantined), min(loaded_at), max(loaded_at), arg_max(batch_id, loaded_at) "
            "FROM wh.raw._manifest GROUP BY ALL ORDER BY ALL"
        )
    con.execute(
        "CREATE TABLE _release.quarantine (table_name VARCHAR, field VARCHAR, reason VARCHAR, "
        "rows BIGINT, files BIGINT, first_loaded_at TIMESTAMPTZ, last_loaded_at TIMESTAMPTZ)"
    )
    con.execute(
        "CREATE TABLE _release.quarantined_rows (table_name VARCHAR, source_file VARCHAR, "
        "row_number BIGINT, field VARCHAR, reason VARCHAR, raw_record VARCHAR, "
        "loaded_at TIMESTAMPTZ, batch_id VARCHAR)"
    )
    for table in sorted(_wh_tables(con, "quarantine")):
        q = f'wh.quarantine."{table}"'
        con.execute(
            f"INSERT INTO _release.quarantine SELECT {_sql_str(table)}, field, reason, count(*), "
            f"count(DISTINCT _source_file), min(_loaded_at), max(_loaded_at) FROM {q} GROUP BY ALL"
        )
        con.execute(
            f"INSERT INTO _release.quarantined_rows SELECT {_sql_str(table)}, _source_file, "
            f"_row_number, field, reason, left(raw_record, 2000), _loaded_at, _batch_id FROM {q} "
            f"ORDER BY _loaded_at DESC, _source_file, _row_number LIMIT {QUARANTINE_SAMPLE}"
        )


def _copy_owners(con: duckdb.DuckDBPyConnection) -> None:
    """``_release.owners``: Salesforce users with their team (the User's Department, Unknown
    without one, as the marts cut ``team``)."""
    con.execute(
        "CREATE TABLE _release.owners (owner_id VARCHAR, owner_name VARCHAR, team VARCHAR, "
        "is_active BOOLEAN)"
    )
    schemas = [
        r[0]
        for r in con.execute(
            "SELECT schema_name FROM duckdb_views() WHERE database_name = 'wh' "
            "AND view_name = 'stg_salesforce__users' UNION ALL SELECT schema_name "
            "FROM duckdb_tables() WHERE database_name = 'wh' "
            "AND table_name = 'stg_salesforce__users'"
        ).fetchall()
    ]
    if schemas:
        con.execute(
            "INSERT INTO _release.owners SELECT user_id, user_name, "
            "coalesce(department, 'Unknown'), is_active "
            f'FROM wh."{schemas[0]}".stg_salesforce__users ORDER BY user_id'
        )


def manifest_definitions(manifest: Path, tables: list[str]) -> list[tuple[str, str, str, str]]:
    """``(kind, table, column, description)`` of the published tables (kind ``model``: the
    table's own text, column ``''``; kind ``column``) and of the seeds, from a dbt manifest."""
    nodes = json.loads(Path(manifest).read_text(encoding="utf-8")).get("nodes", {})
    wanted = set(tables)
    rows: list[tuple[str, str, str, str]] = []
    for node in nodes.values():
        name = node.get("name", "")
        kind = node.get("resource_type")
        if not (kind == "seed" or (kind == "model" and name in wanted)):
            continue
        rows.append((kind, name, "", (node.get("description") or "").strip()))
        for column in (node.get("columns") or {}).values():
            rows.append(("column", name, column["name"], (column.get("description") or "").strip()))
    return sorted(rows)


def _copy_definitions(
    con: duckdb.DuckDBPyConnection, manifest: Path | None, tables: list[str]
) -> None:
    con.execute(
        "CREATE TABLE _release.definitions (kind VARCHAR, table_name VARCHAR, "
        "column_name VARCHAR, description VARCHAR)"
    )
    if manifest and Path(manifest).exists():
        rows = manifest_definitions(manifest, tables)
        if rows:
            con.executemany("INSERT INTO _release.definitions VALUES (?, ?, ?, ?)", rows)


def _copy_sync_results(con: duckdb.DuckDBPyConnection) -> None:
    """``_release.sync_runs`` (newest SYNC_RUNS_KEPT runs) and ``_release.sync_rejects`` (the
    dead letter: refused and parked records, without their payloads)."""
    con.execute("DROP TABLE IF EXISTS _release.sync_runs")
    con.execute("DROP TABLE IF EXISTS _release.sync_rejects")
    con.execute(
        "CREATE TABLE _release.sync_runs (run_id VARCHAR, sync_name VARCHAR, "
        "destination VARCHAR, object VARCHAR, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, "
        "planned BIGINT, sent BIGINT, succeeded BIGINT, rejected BIGINT, unchanged BIGINT, "
        "parked BIGINT, status VARCHAR, error VARCHAR)"
    )
    con.execute(
        "CREATE TABLE _release.sync_rejects (sync_name VARCHAR, record_key VARCHAR, "
        "run_id VARCHAR, error_code VARCHAR, error_message VARCHAR, attempts BIGINT, "
        "first_failed_at TIMESTAMPTZ, last_failed_at TIMESTAMPTZ, parked BOOLEAN)"
    )
    present = _wh_tables(con, "reverse_etl")
    if "_sync_runs" in present:
        con.execute(
            "INSERT INTO _release.sync_runs SELECT run_id, sync_name, destination, object, "
            "started_at, finished_at, planned, sent, succeeded, rejected, unchanged, parked, "
            f"status, error FROM wh.reverse_etl._sync_runs ORDER BY started_at DESC "
            f"LIMIT {SYNC_RUNS_KEPT}"
        )
    if "_sync_dead_letter" in present:
        con.execute(
            "INSERT INTO _release.sync_rejects SELECT sync_name, record_key, run_id, error_code, "
            "left(error_message, 2000), attempts, first_failed_at, last_failed_at, "
            "coalesce(parked, false) FROM wh.reverse_etl._sync_dead_letter "
            "ORDER BY last_failed_at DESC"
        )


def refresh_sync_results(warehouse: Path, snapshot: Path, build_id: str) -> bool:
    """After the syncs: re-publish ``snapshot`` with this run's sync tables (a copy of the
    file with ``_release.sync_runs`` / ``sync_rejects`` replaced, renamed over it atomically).

    Only when the snapshot still holds ``build_id`` (a later publish wins); returns whether it
    was refreshed."""
    warehouse, snapshot = Path(warehouse).resolve(), Path(snapshot).resolve()
    build = read_build(snapshot)
    if not build or build["build_id"] != build_id:
        return False
    tmp = snapshot.with_name(f".{snapshot.name}.{os.getpid()}.sync.tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(snapshot, tmp)
    os.chmod(tmp, 0o644)
    con = _connect_bounded(tmp)
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"ATTACH {_sql_str(str(warehouse))} AS wh (READ_ONLY)")
        _copy_sync_results(con)
        con.execute(
            "UPDATE _release.build SET sync_results_at = CAST(? AS TIMESTAMPTZ)",
            [dt.datetime.now(dt.UTC)],
        )
        con.execute("DETACH wh")
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.chmod(tmp, 0o444)
    os.replace(tmp, snapshot)
    return True


def read_build(snapshot: Path) -> dict | None:
    """The snapshot's ``_release.build`` row (None when there is no snapshot yet)."""
    if not Path(snapshot).exists():
        return None
    with duckdb.connect(str(snapshot), read_only=True) as con:
        cur = con.execute("SELECT * FROM _release.build")
        names = [d[0] for d in cur.description]
        row = cur.fetchone()
    return dict(zip(names, row, strict=True)) if row else None
