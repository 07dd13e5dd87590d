"""Sync state, changelog, runs and dead letters as warehouse tables (queryable by SQL).

Why tables in the warehouse: state must move with the data it describes and be auditable
("what did we write to Lead 00Q… last night, and why?"). State advances only for records the
destination confirmed, one transaction per confirmed batch, so a crash loses at most the
in-flight batch (re-sent next run; the upsert by external id makes that idempotent).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pandas as pd

SCHEMA = "reverse_etl"

DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}._sync_state (
    sync_name VARCHAR NOT NULL,
    record_key VARCHAR NOT NULL,
    row_hash VARCHAR NOT NULL,
    synced_at TIMESTAMPTZ NOT NULL,
    destination_id VARCHAR,
    fields_written VARCHAR,          -- JSON list of fields revloop set; mirror clears only these
    PRIMARY KEY (sync_name, record_key)
);
CREATE TABLE IF NOT EXISTS {SCHEMA}._sync_changelog (
    run_id VARCHAR NOT NULL,
    sync_name VARCHAR NOT NULL,
    record_key VARCHAR NOT NULL,
    -- create | update | clear | reject (validation) | retire (a retired key's record made a
    -- duplicate of its survivor) | duplicate (another portal record of an adopted key)
    action VARCHAR NOT NULL,
    status VARCHAR NOT NULL,         -- succeeded | rejected | gone
    row_hash VARCHAR,
    destination_id VARCHAR,
    error_code VARCHAR,
    error_message VARCHAR,
    logged_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS {SCHEMA}._sync_runs (
    run_id VARCHAR PRIMARY KEY,
    sync_name VARCHAR NOT NULL,
    destination VARCHAR NOT NULL,
    object VARCHAR NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    planned BIGINT,
    sent BIGINT,
    succeeded BIGINT,
    rejected BIGINT,
    unchanged BIGINT,
    status VARCHAR NOT NULL,         -- running | succeeded | partial | failed | interrupted
    error VARCHAR
);
CREATE TABLE IF NOT EXISTS {SCHEMA}._sync_dead_letter (
    sync_name VARCHAR NOT NULL,
    record_key VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    row_hash VARCHAR,
    payload VARCHAR,
    error_code VARCHAR,
    error_message VARCHAR,
    attempts BIGINT NOT NULL,
    first_failed_at TIMESTAMPTZ NOT NULL,
    last_failed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (sync_name, record_key)
);
-- the values revloop sent, once per distinct payload (content-addressed, immutable): the
-- changelog points here, so "what did revloop write to record X on date D" stays answerable
CREATE TABLE IF NOT EXISTS {SCHEMA}._sync_payloads (
    payload_hash VARCHAR PRIMARY KEY,  -- md5 of payload
    payload VARCHAR NOT NULL,          -- JSON object: CRM field -> value sent (null = cleared)
    first_logged_at TIMESTAMPTZ NOT NULL
);
-- records the CRM says are gone (deleted, merged away): never written or re-created again
CREATE TABLE IF NOT EXISTS {SCHEMA}._sync_tombstones (
    sync_name VARCHAR NOT NULL,
    record_key VARCHAR NOT NULL,
    destination_id VARCHAR,
    error_code VARCHAR,
    error_message VARCHAR,
    run_id VARCHAR NOT NULL,
    gone_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (sync_name, record_key)
);
-- the mapping each sync's state was written with; a change needs `--full-resync NAME`
CREATE TABLE IF NOT EXISTS {SCHEMA}._sync_mappings (
    sync_name VARCHAR PRIMARY KEY,
    fingerprint VARCHAR NOT NULL,
    fields VARCHAR NOT NULL,           -- JSON list of source/target pairs
    updated_at TIMESTAMPTZ NOT NULL
);
-- Bulk API jobs, recorded as soon as their id is known, so a later run finishes or aborts
-- what a killed or timed-out run left open
CREATE TABLE IF NOT EXISTS {SCHEMA}._sync_bulk_jobs (
    job_id VARCHAR PRIMARY KEY,
    sync_name VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    object VARCHAR NOT NULL,
    operation VARCHAR,
    -- Open .. JobComplete | Failed | Aborted; `create:<uuid>` rows are job creates recorded
    -- before sending: Creating until the answer arrived (orphans swept), then Resolved
    state VARCHAR NOT NULL,
    rows BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
ALTER TABLE {SCHEMA}._sync_changelog ADD COLUMN IF NOT EXISTS payload_hash VARCHAR;
ALTER TABLE {SCHEMA}._sync_dead_letter ADD COLUMN IF NOT EXISTS parked BOOLEAN DEFAULT false;
ALTER TABLE {SCHEMA}._sync_runs ADD COLUMN IF NOT EXISTS parked BIGINT;
-- the org user that created the job (Salesforce createdById): orphans are searched by it
ALTER TABLE {SCHEMA}._sync_bulk_jobs ADD COLUMN IF NOT EXISTS created_by VARCHAR;
CREATE OR REPLACE VIEW {SCHEMA}._sync_audit AS
SELECT c.logged_at, c.sync_name, c.run_id, c.record_key, c.destination_id, c.action, c.status,
       p.payload, c.error_code, c.error_message
FROM {SCHEMA}._sync_changelog c
LEFT JOIN {SCHEMA}._sync_payloads p ON p.payload_hash = c.payload_hash;
"""

STATE_TABLES = (
    "_sync_state",
    "_sync_changelog",
    "_sync_runs",
    "_sync_dead_letter",
    "_sync_payloads",
    "_sync_tombstones",
    "_sync_mappings",
    "_sync_bulk_jobs",
)
FINAL_JOB_STATES = ("JobComplete", "Failed", "Aborted", "NotFound", "Resolved")


@dataclass
class Outcome:
    """One record's fate in this run, as written to changelog/state/dead letter."""

    key: str
    action: str
    success: bool
    row_hash: str | None
    payload: str | None = None
    fields_written: list[str] | None = None
    destination_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    gone: bool = False  # the CRM says the record no longer exists
    # the state row this outcome takes over or ends (re-keying: the row of the retired key)
    replaces: str | None = None


def now() -> datetime:
    return datetime.now(UTC)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def tables_exist(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
        "AND table_name IN ('_sync_state', '_sync_dead_letter')",
        [SCHEMA],
    ).fetchone()[0]
    return found == 2


def start_run(
    con: duckdb.DuckDBPyConnection, run_id: str, sync_name: str, destination: str, obj: str
) -> None:
    """Mark leftovers of a killed run as interrupted, then open this run.

    Safe only under the sync's lock (engine/lock.py): holding it proves no other run of this
    sync is alive, so a `running` row belongs to a dead process."""
    con.execute(
        f"UPDATE {SCHEMA}._sync_runs SET status = 'interrupted' "
        "WHERE sync_name = ? AND status = 'running'",
        [sync_name],
    )
    con.execute(
        f"INSERT INTO {SCHEMA}._sync_runs (run_id, sync_name, destination, object, started_at, "
        "planned, sent, succeeded, rejected, unchanged, status) "
        "VALUES (?, ?, ?, ?, ?, 0, 0, 0, 0, 0, 'running')",
        [run_id, sync_name, destination, obj, now()],
    )


def update_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    planned: int,
    sent: int,
    succeeded: int,
    rejected: int,
    unchanged: int,
    status: str = "running",
    error: str | None = None,
    finished: bool = False,
    parked: int = 0,
) -> None:
    con.execute(
        f"UPDATE {SCHEMA}._sync_runs SET planned = ?, sent = ?, succeeded = ?, rejected = ?, "
        "unchanged = ?, status = ?, error = ?, finished_at = ?, parked = ? WHERE run_id = ?",
        [
            planned,
            sent,
            succeeded,
            rejected,
            unchanged,
            status,
            error,
            now() if finished else None,
            parked,
            run_id,
        ],
    )


def payload_hash(payload: str | None) -> str | None:
    return hashlib.md5(payload.encode()).hexdigest() if payload is not None else None


def record_outcomes(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    sync_name: str,
    outcomes: list[Outcome],
    retried: bool = True,
    max_attempts: int = 3,
) -> None:
    """Write one group of confirmed outcomes (caller wraps this in a transaction).

    Succeeded creates/updates advance state (a re-keyed one also drops the row of the key it
    replaces); succeeded clears and retires drop the state row (revloop no longer owns a
    value there); records the CRM says are gone drop their state row and get a tombstone
    (never retried, never re-created); successes and gone records leave the dead letter;
    rejects enter it: attempts + 1 for the same payload (parked at `max_attempts`: no longer
    retried until the row changes or `revloop sync --retry`), 1 for a new payload.
    `duplicate` outcomes (pointers the destination wrote on other portal records) are only
    logged: no state, no dead letter. `retried=False` promises no outcome was dead-lettered
    before (skips that delete).
    """
    if not outcomes:
        return
    at = now()
    frame = pd.DataFrame(
        {
            "record_key": [o.key for o in outcomes],
            "action": [o.action for o in outcomes],
            "status": [
                "succeeded" if o.success else ("gone" if o.gone else "rejected") for o in outcomes
            ],
            "row_hash": [o.row_hash for o in outcomes],
            "payload": [o.payload for o in outcomes],
            "payload_hash": [payload_hash(o.payload) for o in outcomes],
            "fields_written": [
                json.dumps(o.fields_written) if o.fields_written is not None else None
                for o in outcomes
            ],
            "destination_id": [o.destination_id for o in outcomes],
            "error_code": [o.error_code for o in outcomes],
            "error_message": [o.error_message for o in outcomes],
            "state_key": [o.replaces or o.key for o in outcomes],
            "replaces": [o.replaces for o in outcomes],
        },
        dtype=object,
    )
    logged_only = ("duplicate",)
    has_ok_write = any(
        o.success and o.action not in ("clear", "retire", *logged_only) for o in outcomes
    )
    has_clear = any(o.success and o.action in ("clear", "retire") for o in outcomes)
    has_gone = any(o.gone and o.action not in logged_only for o in outcomes)
    has_reject = any(not o.success and not o.gone and o.action not in logged_only for o in outcomes)
    has_replace = any(o.success and o.replaces for o in outcomes)
    # statements that would touch nothing are skipped: each costs a few ms per batch
    con.register("_batch_outcomes", frame)
    try:
        con.execute(
            f"INSERT INTO {SCHEMA}._sync_changelog (run_id, sync_name, record_key, action, status,"
            " row_hash, destination_id, error_code, error_message, logged_at, payload_hash) "
            "SELECT ?, ?, record_key, action, status, row_hash, destination_id, error_code, "
            "error_message, ?, payload_hash FROM _batch_outcomes",
            [run_id, sync_name, at],
        )
        con.execute(
            f"INSERT INTO {SCHEMA}._sync_payloads SELECT payload_hash, any_value(payload), ? "
            "FROM _batch_outcomes WHERE payload_hash IS NOT NULL AND status <> 'rejected' "
            "GROUP BY payload_hash ON CONFLICT DO NOTHING",
            [at],
        )
        if has_replace:  # re-keyed: the retired key's row gives way to the surviving key
            con.execute(
                f"DELETE FROM {SCHEMA}._sync_state WHERE sync_name = ? AND record_key IN "
                "(SELECT replaces FROM _batch_outcomes WHERE status = 'succeeded' "
                "AND replaces IS NOT NULL AND replaces <> record_key)",
                [sync_name],
            )
        if has_ok_write:
            con.execute(
                f"INSERT INTO {SCHEMA}._sync_state "
                "SELECT ?, record_key, row_hash, ?, destination_id, fields_written "
                "FROM _batch_outcomes WHERE status = 'succeeded' "
                "AND action NOT IN ('clear', 'retire', 'duplicate') "
                "ON CONFLICT (sync_name, record_key) DO UPDATE SET row_hash = excluded.row_hash, "
                "synced_at = excluded.synced_at, "
                "destination_id = coalesce(excluded.destination_id, _sync_state.destination_id), "
                "fields_written = excluded.fields_written",
                [sync_name, at],
            )
        if has_clear or has_gone:
            con.execute(
                f"DELETE FROM {SCHEMA}._sync_state WHERE sync_name = ? AND record_key IN "
                "(SELECT state_key FROM _batch_outcomes WHERE action <> 'duplicate' AND "
                "(status = 'gone' OR (status = 'succeeded' AND action IN ('clear', 'retire'))))",
                [sync_name],
            )
        if has_gone:
            con.execute(
                f"INSERT INTO {SCHEMA}._sync_tombstones SELECT ?, record_key, destination_id, "
                "error_code, error_message, ?, ? FROM _batch_outcomes WHERE status = 'gone' "
                "AND action <> 'duplicate' ON CONFLICT DO NOTHING",
                [sync_name, run_id, at],
            )
        if (retried and (has_ok_write or has_clear)) or has_gone:
            con.execute(
                f"DELETE FROM {SCHEMA}._sync_dead_letter WHERE sync_name = ? AND record_key IN "
                "(SELECT record_key FROM _batch_outcomes WHERE status IN ('succeeded', 'gone') "
                "AND action <> 'duplicate')",
                [sync_name],
            )
        if has_reject:
            con.execute(
                f"INSERT INTO {SCHEMA}._sync_dead_letter (sync_name, record_key, run_id, row_hash,"
                " payload, error_code, error_message, attempts, first_failed_at, last_failed_at,"
                " parked) "
                "SELECT ?, record_key, ?, row_hash, payload, error_code, error_message, 1, ?, ?, "
                "? <= 1 FROM _batch_outcomes WHERE status = 'rejected' AND action <> 'duplicate' "
                "ON CONFLICT (sync_name, record_key) DO UPDATE SET run_id = excluded.run_id, "
                "payload = excluded.payload, "
                "error_code = excluded.error_code, error_message = excluded.error_message, "
                "attempts = CASE WHEN _sync_dead_letter.row_hash IS NOT DISTINCT FROM "
                "excluded.row_hash THEN _sync_dead_letter.attempts + 1 ELSE 1 END, "
                "parked = (CASE WHEN _sync_dead_letter.row_hash IS NOT DISTINCT FROM "
                "excluded.row_hash THEN _sync_dead_letter.attempts + 1 ELSE 1 END) >= ?, "
                "row_hash = excluded.row_hash, "
                "last_failed_at = excluded.last_failed_at",
                [sync_name, run_id, at, at, max_attempts, max_attempts],
            )
    finally:
        con.unregister("_batch_outcomes")


def record_bulk_job(
    con: duckdb.DuckDBPyConnection, sync_name: str, run_id: str, info: dict
) -> None:
    at = now()
    con.execute(
        f"INSERT INTO {SCHEMA}._sync_bulk_jobs (job_id, sync_name, run_id, object, operation, "
        "state, rows, created_at, updated_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (job_id) DO UPDATE SET state = excluded.state, "
        "updated_at = excluded.updated_at, "
        "created_by = coalesce(excluded.created_by, _sync_bulk_jobs.created_by)",
        [
            str(info["id"]),
            sync_name,
            run_id,
            str(info.get("object", "")),
            info.get("operation"),
            str(info.get("state", "Open")),
            info.get("rows"),
            at,
            at,
            info.get("createdById"),
        ],
    )


def unfinished_bulk_jobs(con: duckdb.DuckDBPyConnection, sync_name: str) -> list[dict]:
    """Jobs (and unanswered job creates) of this sync not yet in a final state, oldest first:
    `job_id`, `object`, `operation`, `state`, `created_at`/`updated_at` (epoch seconds) and
    `created_by` (this sync's org user when any job ever told us, for the orphan search)."""
    rows = con.execute(
        "SELECT job_id, object, operation, state, epoch(created_at), epoch(updated_at), "
        f"(SELECT max_by(created_by, created_at) FROM {SCHEMA}._sync_bulk_jobs "
        "WHERE created_by IS NOT NULL) "
        f"FROM {SCHEMA}._sync_bulk_jobs WHERE sync_name = ? AND state NOT IN "
        f"({', '.join('?' for _ in FINAL_JOB_STATES)}) ORDER BY created_at",
        [sync_name, *FINAL_JOB_STATES],
    ).fetchall()
    keys = ("job_id", "object", "operation", "state", "created_at", "updated_at", "created_by")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def known_bulk_jobs(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every job id revloop recorded (never an orphan)."""
    return {r[0] for r in con.execute(f"SELECT job_id FROM {SCHEMA}._sync_bulk_jobs").fetchall()}


def stored_mapping(con: duckdb.DuckDBPyConnection, sync_name: str) -> tuple[str, list] | None:
    row = con.execute(
        f"SELECT fingerprint, fields FROM {SCHEMA}._sync_mappings WHERE sync_name = ?",
        [sync_name],
    ).fetchone()
    return (row[0], json.loads(row[1])) if row else None


def save_mapping(
    con: duckdb.DuckDBPyConnection, sync_name: str, fingerprint: str, fields: list
) -> None:
    con.execute(
        f"INSERT INTO {SCHEMA}._sync_mappings VALUES (?, ?, ?, ?) ON CONFLICT (sync_name) "
        "DO UPDATE SET fingerprint = excluded.fingerprint, fields = excluded.fields, "
        "updated_at = excluded.updated_at",
        [sync_name, fingerprint, json.dumps(fields), now()],
    )
