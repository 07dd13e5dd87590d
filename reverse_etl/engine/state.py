"""Sync state, changelog, runs and dead letters as warehouse tables (queryable by SQL).

Why tables in the warehouse: state must move with the data it describes and be auditable
("what did we write to Lead 00Q… last night, and why?"). State advances only for records the
destination confirmed, one transaction per confirmed batch, so a crash loses at most the
in-flight batch (re-sent next run; the upsert by external id makes that idempotent).
"""

from __future__ import annotations

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
    action VARCHAR NOT NULL,         -- create | update | clear | reject (validation)
    status VARCHAR NOT NULL,         -- succeeded | rejected
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
"""

STATE_TABLES = ("_sync_state", "_sync_changelog", "_sync_runs", "_sync_dead_letter")


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
    """Mark leftovers of a killed run as interrupted, then open this run."""
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
) -> None:
    con.execute(
        f"UPDATE {SCHEMA}._sync_runs SET planned = ?, sent = ?, succeeded = ?, rejected = ?, "
        "unchanged = ?, status = ?, error = ?, finished_at = ? WHERE run_id = ?",
        [
            planned,
            sent,
            succeeded,
            rejected,
            unchanged,
            status,
            error,
            now() if finished else None,
            run_id,
        ],
    )


def record_outcomes(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    sync_name: str,
    outcomes: list[Outcome],
    retried: bool = True,
) -> None:
    """Write one batch's outcomes (caller wraps this in a transaction).

    Succeeded creates/updates advance state; succeeded clears drop the state row (revloop no
    longer owns a value there); successes leave the dead letter; rejects enter it (attempts+1).
    `retried=False` promises no outcome was dead-lettered before (skips that delete).
    """
    if not outcomes:
        return
    at = now()
    frame = pd.DataFrame(
        {
            "record_key": [o.key for o in outcomes],
            "action": [o.action for o in outcomes],
            "status": ["succeeded" if o.success else "rejected" for o in outcomes],
            "row_hash": [o.row_hash for o in outcomes],
            "payload": [o.payload for o in outcomes],
            "fields_written": [
                json.dumps(o.fields_written) if o.fields_written is not None else None
                for o in outcomes
            ],
            "destination_id": [o.destination_id for o in outcomes],
            "error_code": [o.error_code for o in outcomes],
            "error_message": [o.error_message for o in outcomes],
        },
        dtype=object,
    )
    has_ok_write = any(o.success and o.action != "clear" for o in outcomes)
    has_clear = any(o.success and o.action == "clear" for o in outcomes)
    has_reject = any(not o.success for o in outcomes)
    # statements that would touch nothing are skipped: each costs a few ms per batch
    con.register("_batch_outcomes", frame)
    try:
        con.execute(
            f"INSERT INTO {SCHEMA}._sync_changelog SELECT ?, ?, record_key, action, status, "
            "row_hash, destination_id, error_code, error_message, ? FROM _batch_outcomes",
            [run_id, sync_name, at],
        )
        if has_ok_write:
            con.execute(
                f"INSERT INTO {SCHEMA}._sync_state "
                "SELECT ?, record_key, row_hash, ?, destination_id, fields_written "
                "FROM _batch_outcomes WHERE status = 'succeeded' AND action <> 'clear' "
                "ON CONFLICT (sync_name, record_key) DO UPDATE SET row_hash = excluded.row_hash, "
                "synced_at = excluded.synced_at, "
                "destination_id = coalesce(excluded.destination_id, _sync_state.destination_id), "
                "fields_written = excluded.fields_written",
                [sync_name, at],
            )
        if has_clear:
            con.execute(
                f"DELETE FROM {SCHEMA}._sync_state WHERE sync_name = ? AND record_key IN "
                "(SELECT record_key FROM _batch_outcomes WHERE status = 'succeeded' "
                "AND action = 'clear')",
                [sync_name],
            )
        if retried and (has_ok_write or has_clear):
            con.execute(
                f"DELETE FROM {SCHEMA}._sync_dead_letter WHERE sync_name = ? AND record_key IN "
                "(SELECT record_key FROM _batch_outcomes WHERE status = 'succeeded')",
                [sync_name],
            )
        if has_reject:
            con.execute(
                f"INSERT INTO {SCHEMA}._sync_dead_letter "
                "SELECT ?, record_key, ?, row_hash, payload, error_code, error_message, 1, ?, ? "
                "FROM _batch_outcomes WHERE status = 'rejected' "
                "ON CONFLICT (sync_name, record_key) DO UPDATE SET run_id = excluded.run_id, "
                "row_hash = excluded.row_hash, payload = excluded.payload, "
                "error_code = excluded.error_code, error_message = excluded.error_message, "
                "attempts = _sync_dead_letter.attempts + 1, "
                "last_failed_at = excluded.last_failed_at",
                [sync_name, run_id, at, at],
            )
    finally:
        con.unregister("_batch_outcomes")
