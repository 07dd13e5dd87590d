"""Plan a sync: read the payload, filter by consent, fingerprint, diff against state.

The dry run and the real run share this code, so what a dry run prints is what a real run
sends. The diff is one set-based DuckDB query: only new/changed rows, dead-lettered rows
(retried even when unchanged) and invalid rows come back to Python.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from reverse_etl.engine.config import SyncConfig
from reverse_etl.engine.state import SCHEMA, stored_mapping

log = logging.getLogger(__name__)


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
    destination_id: str | None = None  # the CRM's id, known from state
    dropped: tuple[str, ...] = ()  # fields dropped from the mapping, cleared once (full resync)
    # re-keying: the state row this change takes over (its key was retired by identity
    # resolution); on success the row is stored under `key` and the old one dropped
    replaces: str | None = None

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
    parked: int = 0  # dead letters parked with this payload: not retried
    tombstoned: int = 0  # payload rows whose CRM record is gone: never written again
    fingerprint: str = ""
    stored_mapping: list | None = None  # mapping the state was written with (None: none yet)
    full_resync: bool = False

    @property
    def mapping_changed(self) -> bool:
        return self.stored_mapping is not None and self.stored_mapping != self.sync.mapping

    def mapping_diff(self) -> tuple[list[str], list[str]]:
        """(added, removed) `source→target` pairs against the stored mapping."""
        old = {f"{m['source']}→{m['target']}" for m in self.stored_mapping or []}
        new = {f"{m['source']}→{m['target']}" for m in self.sync.mapping}
        return sorted(new - old), sorted(old - new)

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
    def retires(self) -> int:
        return self.count("retire")

    @property
    def rekeyed(self) -> int:
        return sum(1 for c in self.changes if c.replaces and c.action != "retire")

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


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [SCHEMA]
        ).fetchall()
    }


def _split_table(name: str) -> tuple[str | None, str]:
    parts = name.split(".")
    return (parts[-2] if len(parts) > 1 else None), parts[-1]


def rekey_moves(
    con: duckdb.DuckDBPyConnection, sync: SyncConfig, have: set[str]
) -> list[tuple[str, str, str, str | None, str | None]]:
    """State rows whose key identity resolution retired: (state_key, surviving_key, role,
    destination_id, fields_written), role `move` (the row takes the surviving key) or
    `retire` (the surviving key has a record already: this one becomes its duplicate).

    Reads `sync.rekey.table` (retired_id, surviving_id, entity_type; chains followed); a missing
    table means nothing to re-key. A retired key still present in the payload is left alone
    (the history ran ahead of the build)."""
    policy = sync.rekey
    if policy is None or "_sync_state" not in have:
        return []
    schema, name = _split_table(policy.table)
    found = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "AND (? IS NULL OR table_schema = ?)",
        [name, schema, schema],
    ).fetchall()
    if not found:
        log.info("sync %s: no %s yet: nothing re-keyed", sync.name, policy.table)
        return []
    missing = {"retired_id", "surviving_id", "entity_type"} - {r[0].lower() for r in found}
    if missing:
        raise SyncSourceError(
            f"sync {sync.name}: {policy.table} lacks column(s) {sorted(missing)}; re-keying "
            "needs retired_id, surviving_id and entity_type (issue 16's id history)"
        )
    rows = con.execute(
        f"""
        WITH RECURSIVE hist AS (
            SELECT DISTINCT CAST(retired_id AS VARCHAR) AS r, CAST(surviving_id AS VARCHAR) AS s
            FROM {policy.table}
            WHERE entity_type = $entity_type AND retired_id IS NOT NULL AND surviving_id IS NOT NULL
              AND CAST(retired_id AS VARCHAR) <> CAST(surviving_id AS VARCHAR)
        ), chain(r, s, depth) AS (
            SELECT r, s, 1 FROM hist
            UNION ALL
            SELECT chain.r, hist.s, chain.depth + 1 FROM chain JOIN hist ON hist.r = chain.s
            WHERE chain.depth < 20
        ), final AS (
            SELECT r, arg_max(s, depth) AS s FROM chain GROUP BY r
        )
        SELECT st.record_key, final.s, st.destination_id, st.fields_written, st.synced_at
        FROM {SCHEMA}._sync_state st JOIN final ON final.r = st.record_key
        WHERE st.sync_name = $sync AND final.s <> st.record_key
          AND st.record_key NOT IN (
              SELECT CAST({_q(sync.key)} AS VARCHAR) FROM {sync.source}
              WHERE {_q(sync.key)} IS NOT NULL)
        ORDER BY st.synced_at, st.record_key""",
        {"entity_type": policy.entity_type, "sync": sync.name},
    ).fetchall()
    if not rows:
        return []
    moving = {r[0] for r in rows}
    targets = sorted({r[1] for r in rows})
    held = {
        r[0]
        for r in con.execute(
            f"SELECT record_key FROM {SCHEMA}._sync_state WHERE sync_name = ? "
            "AND record_key IN (SELECT unnest(?))",
            [sync.name, targets],
        ).fetchall()
        if r[0] not in moving
    }
    out: list[tuple[str, str, str, str | None, str | None]] = []
    taken: set[str] = set(held)
    for state_key, new_key, dest_id, written, _at in rows:  # oldest state first
        role = "retire" if new_key in taken else "move"
        taken.add(new_key)
        out.append((state_key, new_key, role, dest_id, written))
    return out


def fingerprint(sync: SyncConfig) -> str:
    return hashlib.md5(json.dumps(sync.mapping, sort_keys=True).encode()).hexdigest()


def build_plan(
    con: duckdb.DuckDBPyConnection,
    sync: SyncConfig,
    lengths: dict[str, int] | None = None,
    full_resync: bool = False,
) -> Plan:
    """Diff the payload against state and return every change the run would make.

    `lengths`: destination field lengths (from its describe), checked before sending where
    the mapping does not say `max_length`. `full_resync`: re-send every row (a mapping
    change) and clear, once, the fields state says revloop wrote but the mapping dropped.
    With `rekey`, state rows under retired keys first follow their surviving key
    (`rekey_moves`): moved rows are updated by their CRM id with the new key, the rest are
    planned as `retire` (key emptied, `duplicate_of` pointing at the survivor).
    """
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
    have = _tables(con)
    moves = rekey_moves(con, sync, have)
    view = None
    if moves:
        # the state as it reads once retired keys follow their survivors: a moved row under
        # its new key (state_key = the row it came from); retired rows left out (planned as
        # `retire` below)
        view = f"_rekey_{hashlib.md5(sync.name.encode()).hexdigest()[:12]}"
        con.register(
            view,
            pd.DataFrame(
                {
                    "state_key": [m[0] for m in moves],
                    "new_key": [m[1] for m in moves],
                    "role": [m[2] for m in moves],
                },
                dtype=object,
            ),
        )
        state = (
            "(SELECT coalesce(r.new_key, s.record_key) AS record_key, s.row_hash, "
            "s.destination_id, s.fields_written, s.record_key AS state_key "
            f"FROM {SCHEMA}._sync_state s LEFT JOIN {view} r ON r.state_key = s.record_key "
            "WHERE s.sync_name = $sync AND r.role IS DISTINCT FROM 'retire')"
        )
    elif "_sync_state" in have:
        state = (
            f"(SELECT *, record_key AS state_key FROM {SCHEMA}._sync_state WHERE sync_name = $sync)"
        )
    else:
        state = (
            "(SELECT NULL::VARCHAR AS record_key, NULL::VARCHAR AS row_hash, NULL::VARCHAR AS "
            "fields_written, NULL::VARCHAR AS destination_id, NULL::VARCHAR AS state_key "
            "WHERE false)"
        )
    try:
        return _diff(con, sync, lengths, full_resync, cols, have, state, moves)
    finally:
        if view is not None:
            con.unregister(view)


def _diff(
    con: duckdb.DuckDBPyConnection,
    sync: SyncConfig,
    lengths: dict[str, int] | None,
    full_resync: bool,
    cols: dict[str, str],
    have: set[str],
    state: str,
    moves: list[tuple[str, str, str, str | None, str | None]],
) -> Plan:
    mappings = sorted(sync.fields, key=lambda f: f.target)
    payload_sql = (
        "CAST(json_object("
        + ", ".join(f"'{f.target}', {_value_sql(f.source, cols[f.source])}" for f in mappings)
        + ") AS VARCHAR)"
    )
    limits = {
        f.target: min(x for x in (f.max_length, (lengths or {}).get(f.target)) if x)
        for f in mappings
        if f.max_length or (lengths or {}).get(f.target)
    }
    checks = [
        f"WHEN length(CAST({_q(f.source)} AS VARCHAR)) > {limits[f.target]} THEN "
        f"'STRING_TOO_LONG: {f.target} is ' || length(CAST({_q(f.source)} AS VARCHAR)) || "
        f"' characters, the field holds {limits[f.target]}'"
        for f in mappings
        if f.target in limits and not cols[f.source].startswith(("BOOL", "DATE", "TIMESTAMP"))
    ]
    invalid_sql = "CASE " + " ".join(checks) + " ELSE NULL END" if checks else "NULL"
    consent = f"WHERE {_q(sync.consent_column)} IS TRUE" if sync.consent_column else ""
    sync_param = {"sync": sync.name}

    def run(sql: str) -> list[tuple]:
        return con.execute(sql, sync_param if "$sync" in sql else {}).fetchall()

    def table(name: str, empty: str) -> str:
        if name in have:
            return f"(SELECT * FROM {SCHEMA}.{name} WHERE sync_name = $sync)"
        return f"(SELECT {empty} WHERE false)"

    dead_sql = (
        f"(SELECT record_key, row_hash, coalesce(parked, false) AS parked FROM {SCHEMA}."
        "_sync_dead_letter WHERE sync_name = $sync)"
        if "_sync_dead_letter" in have
        else "(SELECT NULL::VARCHAR AS record_key, NULL::VARCHAR AS row_hash, "
        "false AS parked WHERE false)"
    )
    tomb = table("_sync_tombstones", "NULL::VARCHAR AS record_key")
    stored = None
    if "_sync_mappings" in have:
        found = stored_mapping(con, sync.name)
        stored = found[1] if found else None
    source_rows, consented_rows = con.execute(
        f"SELECT count(*), count(*) FILTER ({consent.removeprefix('WHERE ') or 'true'}) "
        f"FROM {sync.source}"
    ).fetchone()
    # records revloop maintains (before any re-keying): the change-share guardrail's base
    state_rows = (
        run(f"SELECT count(*) FROM {SCHEMA}._sync_state WHERE sync_name = $sync")[0][0]
        if "_sync_state" in have
        else 0
    )

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
    full = "true" if full_resync else "false"
    rows = run(
        src_cte
        + f"""
        , joined AS (
            SELECT k.record_key, k.payload, k.row_hash, k.invalid,
                   s.record_key IS NOT NULL AS in_state, d.record_key IS NOT NULL AS dead,
                   s.destination_id, s.fields_written,
                   coalesce(d.parked AND d.row_hash IS NOT DISTINCT FROM k.row_hash, false)
                       AS parked,
                   t.record_key IS NOT NULL AS tombstoned,
                   CASE WHEN s.state_key <> k.record_key THEN s.state_key END AS replaces,
                   (k.invalid IS NOT NULL OR d.record_key IS NOT NULL
                    OR s.row_hash IS DISTINCT FROM k.row_hash OR {full}
                    OR s.state_key <> k.record_key) AS wanted
            FROM keyed k
            LEFT JOIN {state} s ON s.record_key = k.record_key
            LEFT JOIN {dead_sql} d ON d.record_key = k.record_key
            LEFT JOIN {tomb} t ON t.record_key = k.record_key
        )
        SELECT record_key, payload, row_hash, invalid, in_state, dead, destination_id,
               fields_written, parked, tombstoned, replaces
        FROM joined WHERE coalesce(wanted, false)
        ORDER BY record_key"""
    )
    changes: list[PlannedChange] = []
    synced: set[str] = set()
    parked = tombstoned = 0
    targets = {f.target for f in sync.fields}
    for key, payload, row_hash, invalid, in_state, dead, dest_id, written, park, tomb_, old in rows:
        if tomb_:
            tombstoned += 1
            continue
        if park:
            parked += 1
            continue
        if in_state:
            synced.add(key)
        fields = json.loads(payload)
        if invalid:
            changes.append(PlannedChange(key, "reject", row_hash, fields, payload, invalid, dead))
            continue
        # keyed by record Id (or mode update) the record already exists: never a create
        existing = in_state or sync.mode == "update" or sync.external_id == "Id"
        action = "update" if existing else "create"
        dropped: tuple[str, ...] = ()
        if full_resync and written:
            dropped = tuple(sorted(set(json.loads(written)) - targets))
            if dropped:
                fields = {**fields, **dict.fromkeys(dropped)}
        if old:  # re-keyed: the CRM record carries the retired key, write the surviving one
            fields = {**fields, sync.external_id: key}
        if dropped or old:
            payload = json.dumps(fields, separators=(",", ":"), sort_keys=True)
        changes.append(
            PlannedChange(key, action, row_hash, fields, payload, None, dead, dest_id, dropped, old)
        )

    if sync.mode == "mirror":
        gone = run(
            src_cte
            + f"""
            SELECT s.record_key, s.fields_written, s.destination_id,
                   d.record_key IS NOT NULL AS dead, coalesce(d.parked, false) AS parked,
                   d.row_hash, CASE WHEN s.state_key <> s.record_key THEN s.state_key END
            FROM {state} s
            LEFT JOIN {dead_sql} d ON d.record_key = s.record_key
            WHERE NOT EXISTS (SELECT 1 FROM keyed k WHERE k.record_key = s.record_key)
            ORDER BY s.record_key"""
        )
        for key, written, dest_id, dead, park, dead_hash, old in gone:
            fields = {f: None for f in json.loads(written or "[]")}
            payload = json.dumps(fields, separators=(",", ":"), sort_keys=True)
            clear_hash = hashlib.md5(payload.encode()).hexdigest()
            if park and dead_hash == clear_hash:
                parked += 1
                continue
            changes.append(
                PlannedChange(
                    key, "clear", clear_hash, fields, payload, None, dead, dest_id, (), old
                )
            )
            synced.add(key)
    for state_key, new_key, role, dest_id, written in moves:
        if role != "retire":
            continue
        if not dest_id:  # written before the CRM's id was kept: nothing safe to update by
            log.warning(
                "sync %s: %s was merged into %s but its CRM id is unknown; mark the duplicate "
                "by hand",
                sync.name,
                state_key,
                new_key,
            )
            continue
        # merged away: the survivor has its own CRM record, so this one gives up the key
        # (and revloop's values) and points at the survivor
        fields = {f: None for f in json.loads(written or "[]")}
        fields[sync.external_id] = None
        if sync.duplicate_of:
            fields[sync.duplicate_of] = new_key
        payload = json.dumps(fields, separators=(",", ":"), sort_keys=True)
        changes.append(
            PlannedChange(
                state_key,
                "retire",
                hashlib.md5(payload.encode()).hexdigest(),
                fields,
                payload,
                None,
                False,
                dest_id,
                (),
                state_key,
            )
        )
        synced.add(state_key)
    unchanged = (
        consented_rows
        - sum(1 for c in changes if c.action not in ("clear", "retire"))
        - parked
        - tombstoned
    )
    plan = Plan(
        sync,
        source_rows,
        consented_rows,
        state_rows,
        unchanged,
        changes,
        parked=parked,
        tombstoned=tombstoned,
        fingerprint=fingerprint(sync),
        stored_mapping=stored,
        full_resync=full_resync,
    )
    plan._synced = synced
    return plan
