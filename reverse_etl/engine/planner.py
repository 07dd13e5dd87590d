"""Plan a sync: read the payload, filter by consent, fingerprint, diff against state.

The dry run and the real run share this code, so what a dry run prints is what a real run
sends. The diff is one set-based DuckDB query: only new/changed rows, dead-lettered rows
(retried even when unchanged) and invalid rows come back to Python.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import duckdb

from reverse_etl.engine.config import SyncConfig
from reverse_etl.engine.state import SCHEMA, tables_exist


class SyncSourceError(RuntimeError):
    """The payload table is missing or lacks a column the sync maps."""


@dataclass
class PlannedChange:
    """One record the run will touch (or reject before sending)."""

    key: str
    action: str  # create | update | clear | reject
    row_hash: str | None
    fields: dict[str, Any]
    payload: str | None = None
    reason: str | None = None  # validation error, for action == "reject"
    retry: bool = False  # was dead-lettered by an earlier run

    @property
    def fields_written(self) -> list[str]:
        return sorted(k for k, v in self.fields.items() if v is not None)


@dataclass
class Plan:
    sync: SyncConfig
    source_rows: int
    consented_rows: int
    state_rows: int
    unchanged: int
    changes: list[PlannedChange] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def creates(self) -> int:
        return self.count("create")

    @property
    def updates(self) -> int:
        return self.count("update")

    @property
    def clears(self) -> int:
        return self.count("clear")

    @property
    def rejects(self) -> int:
        return self.count("reject")

    @property
    def updates_of_synced(self) -> int:
        """Updates to records revloop already wrote (the base of the change-share guardrail)."""
        return sum(1 for c in self.changes if c.action == "update" and c.key in self._synced)

    _synced: set[str] = field(default_factory=set, repr=False)

    def to_send(self) -> list[PlannedChange]:
        return [c for c in self.changes if c.action != "reject"]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(con: duckdb.DuckDBPyConnection, source: str, sync_name: str) -> dict[str, str]:
    try:
        rows = con.execute(f"DESCRIBE {source}").fetchall()
    except duckdb.CatalogException as exc:
        raise SyncSourceError(
            f"sync {sync_name}: payload table {source} does not exist in the warehouse; "
            "build it first (`dbt build --select reverse_etl`)"
        ) from exc
    return {r[0]: str(r[1]).upper() for r in rows}


def _value_sql(column: str, col_type: str) -> str:
    """CRM-ready value: timestamps as ISO-8601 UTC, everything else as DuckDB's JSON."""
    if col_type.startswith("TIMESTAMP WITH TIME ZONE") or col_type == "TIMESTAMPTZ":
        return f"strftime(timezone('UTC', {_q(column)}), '%Y-%m-%dT%H:%M:%SZ')"
    if col_type.startswith("TIMESTAMP"):
        return f"strftime({_q(column)}, '%Y-%m-%dT%H:%M:%SZ')"
    return _q(column)


def build_plan(con: duckdb.DuckDBPyConnection, sync: SyncConfig) -> Plan:
    """Diff the payload against state and return every change the run would make."""
    cols = _columns(con, sync.source, sync.name)
    needed = [sync.key] + [f.source for f in sync.fields]
    if sync.consent_column:
        needed.append(sync.consent_column)
    missing = [c for c in needed if c not in cols]
    if missing:
        raise SyncSourceError(
            f"sync {sync.name}: payload table {sync.source} lacks column(s) {missing}; "
            f"it has {sorted(cols)}. Fix the model or the mapping in the sync YAML"
        )
    mappings = sorted(sync.fields, key=lambda f: f.target)
    payload_sql = (
        "CAST(json_object("
        + ", ".join(f"'{f.target}', {_value_sql(f.source, cols[f.source])}" for f in mappings)
        + ") AS VARCHAR)"
    )
    checks = [
        f"WHEN length(CAST({_q(f.source)} AS VARCHAR)) > {f.max_length} THEN "
        f"'STRING_TOO_LONG: {f.target} is ' || length(CAST({_q(f.source)} AS VARCHAR)) || "
        f"' characters, the field holds {f.max_length}'"
        for f in mappings
        if f.max_length
    ]
    invalid_sql = "CASE " + " ".join(checks) + " ELSE NULL END" if checks else "NULL"
    consent = f"WHERE {_q(sync.consent_column)} IS TRUE" if sync.consent_column else ""
    have_state = tables_exist(con)
    state = (
        f"(SELECT * FROM {SCHEMA}._sync_state WHERE sync_name = $sync)"
        if have_state
        else "(SELECT NULL::VARCHAR AS record_key, NULL::VARCHAR AS row_hash, "
        "NULL::VARCHAR AS fields_written WHERE false)"
    )
    dead = (
        f"(SELECT record_key FROM {SCHEMA}._sync_dead_letter WHERE sync_name = $sync)"
        if have_state
        else "(SELECT NULL::VARCHAR AS record_key WHERE false)"
    )
    params = {"sync": sync.name} if have_state else {}
    source_rows, consented_rows = con.execute(
        f"SELECT count(*), count(*) FILTER ({consent.removeprefix('WHERE ') or 'true'}) "
        f"FROM {sync.source}"
    ).fetchone()
    state_rows = con.execute(f"SELECT count(*) FROM {state} s", params).fetchone()[0]

    src_cte = f"""
        WITH src AS (
            SELECT CAST({_q(sync.key)} AS VARCHAR) AS raw_key, {payload_sql} AS payload,
                   {invalid_sql} AS invalid, row_number() OVER () AS rn
            FROM {sync.source} {consent}
        ), keyed AS (
            SELECT coalesce(nullif(trim(raw_key), ''), '<missing key, row ' || rn || '>')
                       AS record_key,
                   payload, md5(payload) AS row_hash,
                   CASE WHEN raw_key IS NULL OR trim(raw_key) = ''
                            THEN 'MISSING_KEY: {sync.key} is empty'
                        WHEN count(*) OVER (PARTITION BY raw_key) > 1
                            THEN 'DUPLICATE_KEY: {sync.key} appears more than once in the payload'
                        ELSE invalid END AS invalid
            FROM src
        )"""
    rows = con.execute(
        src_cte
        + f"""
        SELECT k.record_key, k.payload, k.row_hash, k.invalid,
               s.record_key IS NOT NULL AS in_state, d.record_key IS NOT NULL AS dead
        FROM keyed k
        LEFT JOIN {state} s ON s.record_key = k.record_key
        LEFT JOIN {dead} d ON d.record_key = k.record_key
        WHERE k.invalid IS NOT NULL OR d.record_key IS NOT NULL
           OR s.row_hash IS DISTINCT FROM k.row_hash
        ORDER BY k.record_key""",
        params,
    ).fetchall()
    changes: list[PlannedChange] = []
    synced: set[str] = set()
    for key, payload, row_hash, invalid, in_state, dead in rows:
        if in_state:
            synced.add(key)
        fields = json.loads(payload)
        if invalid:
            changes.append(PlannedChange(key, "reject", row_hash, fields, payload, invalid, dead))
            continue
        # keyed by record Id (or mode update) the record already exists: never a create
        existing = in_state or sync.mode == "update" or sync.external_id == "Id"
        action = "update" if existing else "create"
        changes.append(PlannedChange(key, action, row_hash, fields, payload, None, dead))

    if sync.mode == "mirror":
        gone = con.execute(
            src_cte
            + f"""
            SELECT s.record_key, s.fields_written FROM {state} s
            WHERE NOT EXISTS (SELECT 1 FROM keyed k WHERE k.record_key = s.record_key)
            ORDER BY s.record_key""",
            params,
        ).fetchall()
        for key, written in gone:
            fields = {f: None for f in json.loads(written or "[]")}
            changes.append(PlannedChange(key, "clear", "cleared", fields, json.dumps(fields)))
            synced.add(key)
    unchanged = consented_rows - sum(1 for c in changes if c.action != "clear")
    plan = Plan(sync, source_rows, consented_rows, state_rows, unchanged, changes)
    plan._synced = synced
    return plan
