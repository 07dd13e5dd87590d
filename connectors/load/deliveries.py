"""What ``revloop files`` shows and does: every delivery with its status; set one aside.

A delivery that breaks its contract fails the night (nothing is synced on stale or partial
data). When the fix will take a while, an operator sets that delivery aside: it is recorded
in ``raw._ignored_deliveries`` with a reason, the loader skips it (and, if it had been
loaded, staging stops reading its rows), so the next run can go on. It is reversible:
restoring puts the delivery back, and a failed one is retried on the next load. A new
delivery at the same path (the vendor's fix) is judged afresh, whatever was set aside.
"""

from __future__ import annotations

import getpass
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from connectors.contracts import load_contracts
from connectors.load import manifest
from connectors.load.files import discover
from connectors.load.warehouse import DEFAULT_LOCK_WAIT_SECONDS, connect

STATUSES = ("loaded", "empty", "duplicate", "superseded", "failed", "ignored")


@dataclass(frozen=True)
class Delivery:
    """One delivery of a file, with the status an operator cares about."""

    file: str
    checksum: str
    status: str  # loaded | empty | duplicate | superseded | failed | ignored
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    loaded_at: datetime | None
    source: str | None
    note: str  # why it failed, what superseded it, why it was set aside


_LIST_SQL = """
WITH ign AS (
    SELECT file, checksum, arg_max(reason, ignored_at) AS reason, max(ignored_at) AS ignored_at
    FROM raw._ignored_deliveries WHERE restored_at IS NULL GROUP BY ALL)
SELECT m.file, m.checksum,
       CASE WHEN i.file IS NOT NULL THEN 'ignored'
            WHEN m.superseded_at IS NOT NULL THEN 'superseded'
            ELSE m.status END AS status,
       m.rows_in, m.rows_loaded, m.rows_quarantined, m.loaded_at, m.source,
       CASE WHEN i.file IS NOT NULL THEN 'set aside: ' || i.reason
            WHEN m.superseded_at IS NOT NULL THEN 'by ' || coalesce(m.superseded_by, '?')
            WHEN m.status = 'failed' THEN m.error
            WHEN m.status = 'duplicate' THEN 'same bytes as ' || m.duplicate_of
            ELSE '' END AS note
FROM raw._manifest m LEFT JOIN ign i ON i.file = m.file AND i.checksum = m.checksum
UNION ALL
SELECT i.file, i.checksum, 'ignored', 0, 0, 0, NULL, split_part(i.file, '/', 1),
       'set aside before loading: ' || i.reason
FROM ign i ANTI JOIN raw._manifest m ON m.file = i.file AND m.checksum = i.checksum
ORDER BY 1, 7 NULLS LAST
"""


def list_deliveries(
    warehouse: Path, *, wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS
) -> list[Delivery]:
    """Every delivery the warehouse knows of, oldest first per file (read-only)."""
    if not Path(warehouse).exists():
        return []
    con = connect(warehouse, read_only=True, wait_seconds=wait_seconds)
    try:
        tables = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
            ).fetchall()
        }
        if not {"_manifest", "_ignored_deliveries"} <= tables:
            return []
        return [Delivery(*row) for row in con.execute(_LIST_SQL).fetchall()]
    finally:
        con.close()


def _on_disk(extracts: Path, path: str) -> tuple[str, int, datetime] | None:
    for file in discover(Path(extracts), load_contracts()):
        if file.relative == path:
            data = file.path.read_bytes()
            return hashlib.sha256(data).hexdigest(), len(data), file.modified_at
    return None


def ignore_delivery(
    warehouse: Path,
    extracts: Path,
    path: str,
    reason: str,
    *,
    by: str | None = None,
    now: datetime | None = None,
    wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
) -> str:
    """Set aside the delivery of ``path`` that is on disk now (else its latest one); returns
    its checksum. Raises ``ValueError`` for a path revloop does not know."""
    if not reason.strip():
        raise ValueError("say why the delivery is set aside (--reason)")
    now = now or datetime.now(UTC)
    disk = _on_disk(extracts, path)
    con = connect(warehouse, wait_seconds=wait_seconds)
    try:
        manifest.ensure_metadata_tables(con)
        latest = manifest.latest_deliveries(con).get(path)
        if disk is not None:
            checksum, size, modified = disk
        elif latest is not None:
            checksum, size, modified = latest.checksum, latest.bytes, latest.modified_at
        else:
            raise ValueError(
                f"{path}: no such delivery, neither in the extracts folder {extracts} nor in "
                "raw._manifest (give the path relative to the extracts folder, as "
                "`revloop files` lists it)"
            )
        con.execute("BEGIN")
        con.execute(
            """INSERT INTO raw._ignored_deliveries
               (file, checksum, reason, ignored_at, ignored_by, bytes, modified_at)
               SELECT ?, ?, ?, ?, ?, ?, ?
               WHERE NOT EXISTS (SELECT 1 FROM raw._ignored_deliveries
                                 WHERE file = ? AND checksum = ? AND restored_at IS NULL)""",
            [path, checksum, reason.strip(), now, by or _user(), size, modified, path, checksum],
        )
        manifest.refresh_currency(con, load_contracts(), now)
        con.execute("COMMIT")
        return checksum
    finally:
        con.close()


def restore_delivery(
    warehouse: Path,
    path: str,
    reason: str = "",
    *,
    now: datetime | None = None,
    wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
) -> int:
    """Undo ``ignore_delivery`` for every delivery of ``path`` set aside; returns how many."""
    now = now or datetime.now(UTC)
    con = connect(warehouse, wait_seconds=wait_seconds)
    try:
        manifest.ensure_metadata_tables(con)
        con.execute("BEGIN")
        (count,) = con.execute(
            """UPDATE raw._ignored_deliveries SET restored_at = ?, restore_reason = ?
               WHERE file = ? AND restored_at IS NULL""",
            [now, reason.strip() or None, path],
        ).fetchone()
        manifest.refresh_currency(con, load_contracts(), now)
        con.execute("COMMIT")
        return int(count)
    finally:
        con.close()


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def status_counts(deliveries: list[Delivery]) -> dict[str, dict[str, int]]:
    """source → status → deliveries."""
    out: dict[str, dict[str, int]] = {}
    for d in deliveries:
        row = out.setdefault(d.source or "?", dict.fromkeys(STATUSES, 0))
        row[d.status] = row.get(d.status, 0) + 1
    return out


__all__ = [
    "Delivery",
    "ignore_delivery",
    "list_deliveries",
    "restore_delivery",
    "status_counts",
]

_ = duckdb  # the connection type of this module's helpers
