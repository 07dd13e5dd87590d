"""``raw._manifest``, ``raw._schema_drift`` and ``raw._ignored_deliveries``: every delivery of
every file, what looked odd in it, and what an operator set aside.

A *delivery* is one version of a file: its path relative to the extracts folder plus the
SHA-256 of its bytes. Vendors rewrite files in place (GA4 rewrites a day for up to three days,
ad platforms restate recent days), so a new checksum at a known path is a new delivery that
supersedes the earlier one: the earlier rows stay in raw for audit with ``_superseded_at``
set, and staging reads only rows whose ``_superseded_at`` is NULL. A file's size and
modification time are kept so an unchanged file is recognised without hashing it again.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

import duckdb

from connectors.contracts import Contract, delivery_slot
from connectors.load.sql import ident, lit

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
# Columns added after the first release (ALTER ... IF NOT EXISTS keeps old warehouses working).
MANIFEST_ADDED = {
    "modified_at": "TIMESTAMPTZ",  # the file's mtime when this delivery was seen
    "superseded_at": "TIMESTAMPTZ",  # when a newer delivery (or an ignore) replaced this one
    "superseded_by": "VARCHAR",  # the delivery that replaced it: 'path@checksum12'
}

DRIFT_DDL = """
CREATE TABLE IF NOT EXISTS raw._schema_drift (
    file VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL,     -- a column, or a nested key path such as device.os
    change VARCHAR NOT NULL,          -- extra_column | extra_nested_key | missing_column
    batch_id VARCHAR NOT NULL,
    detected_at TIMESTAMPTZ NOT NULL
)
"""

IGNORED_DDL = """
CREATE TABLE IF NOT EXISTS raw._ignored_deliveries (
    file VARCHAR NOT NULL,
    checksum VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    ignored_at TIMESTAMPTZ NOT NULL,
    ignored_by VARCHAR,
    bytes BIGINT,                     -- the file as it was set aside (so it is not hashed again)
    modified_at TIMESTAMPTZ,
    restored_at TIMESTAMPTZ,          -- NULL while the delivery is set aside
    restore_reason VARCHAR
)
"""

DONE_STATUSES = ("loaded", "empty", "duplicate")
# A delivery that replaces what came before it at its path (a failed one does not: the last
# good data stays current until the new version loads or is set aside).
REPLACING_STATUSES = DONE_STATUSES


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
    modified_at: datetime | None = None


@dataclass(frozen=True)
class LatestDelivery:
    """What the manifest last recorded for a path (the sensor and the loader compare files
    on disk with it)."""

    checksum: str
    status: str
    bytes: int | None
    modified_at: datetime | None
    ignored: bool


@dataclass(frozen=True)
class CurrencyChange:
    """A delivery whose rows stopped (or started again) being the current ones."""

    file: str
    checksum: str
    table_name: str
    superseded: bool
    by: str | None


def ensure_metadata_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute("CREATE SCHEMA IF NOT EXISTS quarantine")
    con.execute(MANIFEST_DDL)
    have = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'raw' AND table_name = '_manifest'"
        ).fetchall()
    }
    for column, kind in MANIFEST_ADDED.items():
        if column not in have:
            con.execute(f"ALTER TABLE raw._manifest ADD COLUMN {column} {kind}")
    con.execute(DRIFT_DDL)
    con.execute(IGNORED_DDL)


def latest_deliveries(con: duckdb.DuckDBPyConnection) -> dict[str, LatestDelivery]:
    """path → its most recent delivery (read once per run, not per file). A delivery set
    aside before it was ever loaded counts as the path's latest (status ``ignored``)."""
    rows = con.execute(
        """WITH d AS (
               SELECT file, checksum, status, bytes, modified_at, loaded_at AS seen_at
               FROM raw._manifest
               UNION ALL
               SELECT file, checksum, 'ignored', bytes, modified_at, ignored_at AS seen_at
               FROM raw._ignored_deliveries WHERE restored_at IS NULL)
           SELECT file, arg_max(checksum, seen_at), arg_max(status, seen_at),
                  arg_max(bytes, seen_at), arg_max(modified_at, seen_at)
           FROM d GROUP BY file"""
    ).fetchall()
    ignored = active_ignores(con)
    return {f: LatestDelivery(c, s, b, mt, (f, c) in ignored) for f, c, s, b, mt in rows}


def active_ignores(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    """(path, checksum) of every delivery currently set aside."""
    rows = con.execute(
        "SELECT file, checksum FROM raw._ignored_deliveries WHERE restored_at IS NULL"
    ).fetchall()
    return {(f, c) for f, c in rows}


def current_checksums(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """checksum → first file whose current delivery has those bytes (for duplicate files)."""
    rows = con.execute(
        "SELECT checksum, arg_min(file, loaded_at) FROM raw._manifest "
        "WHERE status = 'loaded' AND superseded_at IS NULL GROUP BY checksum"
    ).fetchall()
    return dict(rows)


def record_many(con: duckdb.DuckDBPyConnection, entries: list[ManifestEntry]) -> None:
    """Insert many entries with few statements (a small file costs one row, not one query).

    An earlier ``failed`` attempt of the same delivery (same path and bytes) is replaced: a
    retry is not a new delivery. Other deliveries of the path stay: the manifest is history.
    """
    if not entries:
        return
    con.execute(
        """DELETE FROM raw._manifest WHERE status = 'failed'
           AND list_contains(?, file || '@' || checksum)""",
        [[f"{e.file}@{e.checksum}" for e in entries]],
    )
    names = [f.name for f in fields(ManifestEntry)]
    # One statement whatever the count: a column list per field, zipped back by unnest.
    columns = ", ".join(f"unnest(${i + 1}) AS {n}" for i, n in enumerate(names))
    con.execute(
        f"INSERT INTO raw._manifest BY NAME SELECT {columns}",
        [[getattr(e, n) for e in entries] for n in names],
    )


def record(con: duckdb.DuckDBPyConnection, entry: ManifestEntry) -> None:
    """Insert one entry, replacing an earlier ``failed`` attempt of the same delivery."""
    record_many(con, [entry])


def touch(con: duckdb.DuckDBPyConnection, items: list[tuple[str, str, datetime | None]]) -> None:
    """Remember the new mtime of files whose bytes did not change (so they are not hashed
    again next time): ``(path, checksum, modified_at)``."""
    if not items:
        return
    con.execute(
        """UPDATE raw._manifest m SET modified_at = t.modified_at
           FROM (SELECT unnest($1) AS file, unnest($2) AS checksum,
                        unnest($3)::TIMESTAMPTZ AS modified_at) t
           WHERE m.file = t.file AND m.checksum = t.checksum""",
        [[i[0] for i in items], [i[1] for i in items], [i[2] for i in items]],
    )


def refresh_currency(
    con: duckdb.DuckDBPyConnection, contracts: list[Contract], now: datetime
) -> list[CurrencyChange]:
    """Decide which delivery of every file is current and mark the others superseded.

    The current delivery of a path (slot: the path without ``.gz``) is its latest loaded,
    empty or duplicate delivery that is not set aside; every other delivery of the path is
    superseded by it. A slot replaced by a ``replaces`` rule (GA4 intraday by daily) is
    superseded as a whole once the replacing slot has a current delivery. Only deliveries
    whose state changes are written, in the manifest and in ``raw``/``quarantine``
    (``_superseded_at``), so a night without re-deliveries costs one small query.
    """
    by_table = {c.table: c for c in contracts}
    rows = con.execute(
        """SELECT file, checksum, status, batch_id, loaded_at, table_name,
                  superseded_at IS NOT NULL, superseded_by
           FROM raw._manifest WHERE list_contains(?, table_name)""",
        [list(by_table)],
    ).fetchall()
    ignored = active_ignores(con)
    current: dict[tuple[str, str], tuple] = {}  # (table, slot) -> newest live delivery
    for row in rows:
        file, checksum, status, _, loaded_at, table, _, _ = row
        if status not in REPLACING_STATUSES or (file, checksum) in ignored:
            continue
        key = (table, delivery_slot(file))
        best = current.get(key)
        if best is None or (loaded_at, row[3]) > (best[4], best[3]):
            current[key] = row
    replaced_by: dict[tuple[str, str], tuple] = {}  # (table, replaced slot) -> replacing row
    for (table, slot), row in current.items():
        for old in by_table[table].replaced_slots(slot):
            replaced_by[(table, old)] = row
    newest: dict[tuple[str, str], tuple] = {}  # (table, slot) -> newest delivery of any status
    for row in rows:
        key = (row[5], delivery_slot(row[0]))
        best = newest.get(key)
        if best is None or (row[4], row[3]) > (best[4], best[3]):
            newest[key] = row
    changes: list[CurrencyChange] = []
    for row in rows:
        file, checksum, status, batch_id, _, table, was_superseded, was_by = row
        key = (table, delivery_slot(file))
        if status in REPLACING_STATUSES:
            winner = replaced_by.get(key) or current.get(key)
            is_current = winner is not None and winner[0] == file and winner[1] == checksum
            if (file, checksum) in ignored:
                is_current, winner = False, None
        else:
            # A failed delivery holds no rows; it is superseded once something newer arrived
            # at its path (it is no longer what the vendor delivers).
            winner = newest.get(key)
            is_current = winner is None or (winner[0] == file and winner[1] == checksum)
        if (file, checksum) in ignored:
            by = "ignored"
        else:
            by = None if is_current or winner is None else f"{winner[0]}@{winner[1][:12]}"
        superseded = not is_current
        if superseded == was_superseded and (not superseded or by == was_by):
            continue
        changes.append(CurrencyChange(file, checksum, table, superseded, by))
    if not changes:
        return []
    _apply(con, changes, rows, now)
    return changes


def _apply(
    con: duckdb.DuckDBPyConnection, changes: list[CurrencyChange], rows: list[tuple], now: datetime
) -> None:
    batch_of = {(r[0], r[1]): r[3] for r in rows}
    con.execute(
        """UPDATE raw._manifest m SET
               superseded_at = CASE WHEN t.superseded THEN coalesce(m.superseded_at, $4) END,
               superseded_by = CASE WHEN t.superseded THEN t.by END
           FROM (SELECT unnest($1) AS file, unnest($2) AS checksum, unnest($3) AS superseded,
                        unnest($5) AS by) t
           WHERE m.file = t.file AND m.checksum = t.checksum""",
        [
            [c.file for c in changes],
            [c.checksum for c in changes],
            [c.superseded for c in changes],
            now,
            [c.by for c in changes],
        ],
    )
    for table in sorted({c.table_name for c in changes}):
        mine = [c for c in changes if c.table_name == table]
        for superseded in (True, False):
            picked = [c for c in mine if c.superseded is superseded]
            if not picked:
                continue
            # Literal lists so DuckDB prunes row groups by _source_file before comparing.
            files = ", ".join(lit(c.file) for c in picked)
            keys = ", ".join(lit(f"{c.file}@{batch_of[(c.file, c.checksum)]}") for c in picked)
            value = "coalesce(_superseded_at, ?)" if superseded else "NULL"
            params = [now] if superseded else []
            for schema in ("raw", "quarantine"):
                con.execute(
                    f"""UPDATE {schema}.{ident(table)} SET _superseded_at = {value}
                        WHERE _source_file IN ({files})
                          AND _source_file || '@' || _batch_id IN ({keys})""",
                    params,
                )
