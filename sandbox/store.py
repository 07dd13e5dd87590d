"""SQLite persistence of the sandbox: one JSON document per record, unique keys indexed apart.

Why SQLite and not memory: what the reverse ETL wrote must survive a restart, like a real CRM.
Writes are batched per HTTP request (executemany in one transaction) so the sandbox keeps up
with thousands of records per second.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

_DDL = """
CREATE TABLE IF NOT EXISTS records (
    object TEXT NOT NULL,
    id TEXT NOT NULL,
    modstamp TEXT NOT NULL,
    is_deleted INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL,
    UNIQUE (object, id)
);
CREATE INDEX IF NOT EXISTS records_modstamp ON records (object, modstamp);
CREATE TABLE IF NOT EXISTS unique_keys (
    object TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (object, field, value)
);
CREATE INDEX IF NOT EXISTS unique_keys_id ON unique_keys (object, id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bulk_jobs (
    id TEXT PRIMARY KEY,
    info TEXT NOT NULL,
    data_csv TEXT NOT NULL DEFAULT '',
    success_csv TEXT NOT NULL DEFAULT '',
    failed_csv TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS hs_properties (
    object_type TEXT NOT NULL,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    PRIMARY KEY (object_type, name)
);
"""


def unique_value(value: object) -> str:
    """External ids and HubSpot unique properties compare case-insensitively."""
    return str(value).strip().lower()


class Store:
    """All sandbox state.  Used from the server's single event-loop thread only."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.db_path, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(_DDL)

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------ transactions
    def begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        self.conn.execute("ROLLBACK")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction per HTTP request: all of a batch is written, or nothing."""
        self.begin()
        try:
            yield
        except BaseException:
            self.rollback()
            raise
        self.commit()

    # ------------------------------------------------------------ meta
    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def next_sequence(self, name: str, count: int, start: int = 1) -> int:
        """Reserve `count` numbers of counter `name`; return the first one."""
        current = int(self.get_meta(f"seq:{name}") or start - 1)
        self.set_meta(f"seq:{name}", str(current + count))
        return current + 1

    # ------------------------------------------------------------ records
    def get_many(self, obj: str, ids: Iterable[str]) -> dict[str, dict]:
        found: dict[str, dict] = {}
        for chunk, marks in _in_chunks(ids):
            for rid, data in self.conn.execute(
                f"SELECT id, data FROM records WHERE object = ? AND id IN ({marks})",
                (obj, *chunk),
            ):
                found[rid] = json.loads(data)
        return found

    def lookup_unique(self, obj: str, field: str, values: Iterable[object]) -> dict[str, str]:
        """Map normalised unique values to the record id holding them."""
        found: dict[str, str] = {}
        for chunk, marks in _in_chunks(unique_value(v) for v in values):
            for value, rid in self.conn.execute(
                f"SELECT value, id FROM unique_keys WHERE object = ? AND field = ? "
                f"AND value IN ({marks})",
                (obj, field, *chunk),
            ):
                found[value] = rid
        return found

    def lookup_field(self, obj: str, field: str, values: Iterable[object]) -> dict[str, str]:
        """Like ``lookup_unique`` for an external-id field that is not unique (a scan of the
        live records). Several holders of one value: the oldest id wins (real Salesforce
        answers 300 MULTIPLE_CHOICES on an upsert by such a value; revloop updates by Id)."""
        found: dict[str, str] = {}
        for chunk, marks in _in_chunks(unique_value(v) for v in values):
            for value, rid in self.conn.execute(
                "SELECT lower(trim(CAST(json_extract(data, ?) AS TEXT))) AS v, min(id) "
                f"FROM records WHERE object = ? AND is_deleted = 0 AND v IN ({marks}) "
                "GROUP BY v",
                (f"$.{field}", obj, *chunk),
            ):
                found[value] = rid
        return found

    def write_records(
        self,
        obj: str,
        records: list[tuple[str, str, bool, dict]],
        unique_fields: list[str],
        rekeyed: set[str] | None = None,
    ) -> None:
        """Insert or replace (id, modstamp, is_deleted, data) rows; caller owns the transaction.

        `rekeyed` limits the unique-key refresh to records whose unique values changed
        (None = all), which keeps repeated updates of score fields cheap.
        """
        if not records:
            return
        self.conn.executemany(
            "INSERT INTO records (object, id, modstamp, is_deleted, data) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (object, id) DO UPDATE SET modstamp = excluded.modstamp, "
            "is_deleted = excluded.is_deleted, data = excluded.data",
            [
                (obj, rid, stamp, int(deleted), json.dumps(data))
                for rid, stamp, deleted, data in records
            ],
        )
        if rekeyed is not None:
            records = [r for r in records if r[0] in rekeyed]
        if unique_fields and records:
            self.conn.executemany(
                "DELETE FROM unique_keys WHERE object = ? AND id = ?",
                [(obj, rid) for rid, _, _, _ in records],
            )
            rows = []
            for rid, _, _, data in records:
                for fname in unique_fields:
                    value = data.get(fname)
                    if value not in (None, ""):
                        rows.append((obj, fname, unique_value(value), rid))
            self.conn.executemany(
                "INSERT OR REPLACE INTO unique_keys (object, field, value, id) VALUES (?, ?, ?, ?)",
                rows,
            )

    def scan(
        self,
        obj: str,
        include_deleted: bool,
        modstamp_min: tuple[str, bool] | None = None,
        modstamp_max: tuple[str, bool] | None = None,
    ) -> Iterator[dict]:
        """Records of `obj` in insertion order; modstamp bounds are (value, inclusive)."""
        sql = "SELECT data FROM records WHERE object = ?"
        params: list[object] = [obj]
        if not include_deleted:
            sql += " AND is_deleted = 0"
        if modstamp_min:
            sql += " AND modstamp >= ?" if modstamp_min[1] else " AND modstamp > ?"
            params.append(modstamp_min[0])
        if modstamp_max:
            sql += " AND modstamp <= ?" if modstamp_max[1] else " AND modstamp < ?"
            params.append(modstamp_max[0])
        sql += " ORDER BY rowid"
        for (data,) in self.conn.execute(sql, params):
            yield json.loads(data)

    def scan_page(self, obj: str, after_id: int, limit: int) -> list[tuple[str, dict]]:
        """HubSpot list paging: numeric ids ascending, strictly after `after_id`."""
        rows = self.conn.execute(
            "SELECT id, data FROM records WHERE object = ? AND is_deleted = 0 "
            "AND CAST(id AS INTEGER) > ? ORDER BY CAST(id AS INTEGER) LIMIT ?",
            (obj, after_id, limit),
        ).fetchall()
        return [(rid, json.loads(data)) for rid, data in rows]

    def count(self, obj: str) -> int:
        return self.conn.execute(
            "SELECT count(*) FROM records WHERE object = ?", (obj,)
        ).fetchone()[0]

    # ------------------------------------------------------------ bulk jobs
    def save_job(self, job_id: str, info: dict) -> None:
        self.conn.execute(
            "INSERT INTO bulk_jobs (id, info) VALUES (?, ?) "
            "ON CONFLICT (id) DO UPDATE SET info = excluded.info",
            (job_id, json.dumps(info)),
        )

    def get_job(self, job_id: str) -> dict | None:
        row = self.conn.execute("SELECT info FROM bulk_jobs WHERE id = ?", (job_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def append_job_data(self, job_id: str, csv_text: str) -> None:
        self.conn.execute(
            "UPDATE bulk_jobs SET data_csv = data_csv || ? WHERE id = ?", (csv_text, job_id)
        )

    def get_job_csv(self, job_id: str, column: str) -> str:
        if column not in ("data_csv", "success_csv", "failed_csv"):
            raise ValueError(f"unknown bulk job column {column!r}")
        row = self.conn.execute(
            f"SELECT {column} FROM bulk_jobs WHERE id = ?", (job_id,)
        ).fetchone()
        return row[0] if row else ""

    def set_job_results(self, job_id: str, success_csv: str, failed_csv: str) -> None:
        self.conn.execute(
            "UPDATE bulk_jobs SET success_csv = ?, failed_csv = ? WHERE id = ?",
            (success_csv, failed_csv, job_id),
        )

    # ------------------------------------------------------------ HubSpot properties
    def hs_custom_properties(self) -> list[tuple[str, dict]]:
        return [
            (object_type, json.loads(definition))
            for object_type, definition in self.conn.execute(
                "SELECT object_type, definition FROM hs_properties ORDER BY rowid"
            )
        ]

    def save_hs_property(self, object_type: str, definition: dict) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO hs_properties (object_type, name, definition) VALUES (?, ?, ?)",
            (object_type, definition["name"], json.dumps(definition)),
        )

    def wipe(self) -> None:
        """Forget every record, job and custom property (admin reset with data=true)."""
        for table in ("records", "unique_keys", "meta", "bulk_jobs", "hs_properties"):
            self.conn.execute(f"DELETE FROM {table}")


def _in_chunks(values: Iterable[object], size: int = 500) -> Iterator[tuple[list, str]]:
    """Distinct ``values`` in chunks for ``IN (?, ...)`` (SQLite caps bound parameters):
    yields (chunk, the chunk's placeholders)."""
    keys = list(dict.fromkeys(values))
    for start in range(0, len(keys), size):
        chunk = keys[start : start + size]
        yield chunk, ",".join("?" * len(chunk))
