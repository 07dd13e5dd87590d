"""Run syncs: plan, check guardrails, send changed rows, commit state per confirmed batch.

The warehouse connection is opened only to plan and to record each confirmed batch, never
across HTTP calls, because DuckDB allows one writer per file and the dashboard/Dagster may
want it in between. Each batch's state write is one transaction: a SIGKILL mid-sync loses at
most the in-flight batch, which the next run re-sends (idempotent by external id).
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from reverse_etl.destinations import (
    CrmConfig,
    Destination,
    DestinationAuthError,
    DestinationConfigError,
    DestinationError,
    DestinationRateLimited,
    FieldInfo,
    OutboundRecord,
    WriteRequest,
    build_destinations,
)
from reverse_etl.engine import state
from reverse_etl.engine.config import SyncConfig, SyncConfigError, load_syncs
from reverse_etl.engine.guardrails import GuardrailViolation, RejectMonitor, check_plan
from reverse_etl.engine.lock import SyncAlreadyRunning, SyncLock, lock_path
from reverse_etl.engine.planner import (
    Plan,
    PlannedChange,
    SyncSourceError,
    _columns,
    build_plan,
)
from reverse_etl.engine.schema_check import SchemaMismatch, check_schema
from reverse_etl.engine.warehouse import WarehouseLease
from reverse_etl.engine.warehouse import connect as warehouse_connect

log = logging.getLogger(__name__)

# State commits: confirmed batches share one transaction until it holds COMMIT_RECORDS records
# or COMMIT_SECONDS passed since its first batch (each transaction costs a handful of
# statements whatever its size: committing per 200-record batch capped the engine near 3,000
# records/s). State still only ever covers what the CRM confirmed; a SIGKILL leaves at most
# the open group, the confirmed batches queued behind it (SEND_AHEAD) and the one in flight
# unaccounted for, re-sent by the next run (idempotently).
COMMIT_RECORDS = 1000
COMMIT_SECONDS = 0.2
SEND_AHEAD = 4


@dataclass
class SyncResult:
    """What one sync did (or, in a dry run, would do)."""

    name: str
    destination: str
    object: str
    run_id: str | None = None
    dry_run: bool = False
    status: str = "running"  # dry_run | succeeded | partial | failed
    source_rows: int = 0
    consented_rows: int = 0
    planned_creates: int = 0
    planned_updates: int = 0
    planned_clears: int = 0
    planned_rejects: int = 0
    planned_retires: int = 0  # records of retired keys made duplicates of their survivor
    rekeyed: int = 0  # records moved from a retired key to its surviving key
    unchanged: int = 0
    sent: int = 0
    succeeded: int = 0
    rejected: int = 0
    gone: int = 0  # records the CRM no longer has (dropped from state, tombstoned)
    adopted: int = 0  # existing CRM records taken over (HubSpot adoption by domain)
    duplicates: int = 0  # other CRM records of an adopted key, given a pointer to it
    parked: int = 0  # dead letters parked for this sync (not retried; `revloop sync --rejects`)
    tombstoned: int = 0  # payload rows skipped because their CRM record is gone
    full_resync: bool = False
    api_calls: int = 0
    duration_s: float = 0.0
    error: str | None = None
    error_type: str | None = None
    plan: list[PlannedChange] = field(default_factory=list, repr=False)

    @property
    def planned(self) -> int:
        return (
            self.planned_creates + self.planned_updates + self.planned_clears + self.planned_retires
        )

    exception: BaseException | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status in ("dry_run", "succeeded") and self.error is None

    @property
    def failed(self) -> int:
        """Records not written this run: destination rejects plus validation rejects."""
        return self.rejected + self.planned_rejects

    def raise_for_status(self) -> None:
        """Re-raise what stopped the sync (GuardrailViolation, DestinationAuthError, ...).

        Record-level rejects alone do not raise: they are dead-lettered and retried.
        """
        if self.exception is not None:
            raise self.exception

    def plan_lines(self, limit: int = 20) -> list[str]:
        """The planned record changes, one line each (what `revloop sync --dry-run` prints)."""
        lines = []
        for change in self.plan[:limit]:
            detail = change.reason or ", ".join(f"{k}={v!r}" for k, v in change.fields.items())
            retry = " (retry of a dead letter)" if change.retry else ""
            lines.append(f"  {change.action:<6} {change.key}{retry}: {detail}")
        if len(self.plan) > limit:
            lines.append(f"  ... and {len(self.plan) - limit} more")
        return lines

    @property
    def warning(self) -> str | None:
        """Why a run that did its job is still worth a look (`partial`), else None."""
        if self.status != "partial":
            return None
        return (
            f"{self.failed} record(s) refused this run ({self.rejected} by the CRM, "
            f"{self.planned_rejects} invalid), {self.parked} parked; see "
            "`revloop sync --rejects`"
        )

    def summary(self) -> str:
        head = f"{self.name} → {self.destination}.{self.object}: {self.status}"
        plan = (
            f"planned {self.planned} ({self.planned_creates} create, {self.planned_updates} "
            f"update, {self.planned_clears} clear), {self.planned_rejects} invalid, "
            f"{self.unchanged} unchanged"
        )
        extras = [
            f"{n} {label}"
            for n, label in (
                (self.parked, "parked"),
                (self.tombstoned, "gone in the CRM (skipped)"),
                (self.gone, "found gone"),
                (self.adopted, "adopted"),
                (self.duplicates, "duplicates pointed at their survivor"),
                (self.rekeyed, "re-keyed"),
                (self.planned_retires, "retired into their survivor"),
            )
            if n
        ]
        if self.full_resync:
            extras.append("full resync")
        if extras:
            plan += ", " + ", ".join(extras)
        if self.dry_run:
            text = f"{head} [dry run] — {plan}"
        else:
            text = (
                f"{head} — {plan}; sent {self.sent}, succeeded {self.succeeded}, rejected "
                f"{self.rejected}, {self.api_calls} API calls, {self.duration_s:.2f}s"
            )
        return text + (f" — {self.error_type}: {self.error}" if self.error else "")


class MappingChanged(RuntimeError):
    """The sync's field mapping differs from the one its state was written with."""


def run_syncs(
    warehouse: Path,
    syncs_dir: Path | None = None,
    names: list[str] | None = None,
    dry_run: bool = False,
    destinations: Mapping[str, Destination] | None = None,
    crm: CrmConfig | None = None,
    full_resync: Iterable[str] = (),
    lock_wait: float = 0.0,
    retry_parked: bool = False,
) -> list[SyncResult]:
    """Run the named syncs (all by default) in file order; one failing never stops the rest.

    Destinations: `destinations` (built clients) or `crm` (explicit settings, see
    `CrmConfig`); neither means none configured. A dry run uses destinations when given, for
    the schema check only. `full_resync`: sync names whose every row is re-sent (a planned
    mapping change). `lock_wait`: seconds to wait for another run of the same sync.
    `retry_parked`: parked dead letters of these syncs are retried once more.

    A sync failing (guardrail, missing payload, schema, destination error) is reported in its
    SyncResult (`ok` False, `error_type`, `error`), and recorded in `reverse_etl._sync_runs`.
    """
    syncs = load_syncs(syncs_dir, names)
    resync = set(full_resync)
    unknown = sorted(resync - {s.name for s in syncs})
    if unknown:
        raise SyncConfigError(f"--full-resync names sync(s) {unknown} that are not being run")
    problems: dict[str, Exception] = {}
    if destinations is None and (crm is not None or not dry_run):
        built: dict[str, Destination] = {}
        for name in sorted({s.destination for s in syncs}):
            try:
                built.update(build_destinations(crm, only={name}))
            except DestinationConfigError as exc:
                problems[name] = exc
        destinations = built
    schema_cache: dict[tuple[str, str], dict[str, FieldInfo]] = {}
    return [
        run_sync(
            Path(warehouse),
            s,
            dry_run,
            destinations or {},
            problems.get(s.destination),
            full_resync=s.name in resync,
            lock_wait=lock_wait,
            schema_cache=schema_cache,
            retry_parked=retry_parked,
        )
        for s in syncs
    ]


def _fill_plan_counts(result: SyncResult, plan: Plan) -> None:
    result.source_rows = plan.source_rows
    result.consented_rows = plan.consented_rows
    result.planned_creates = plan.creates
    result.planned_updates = plan.updates
    result.planned_clears = plan.clears
    result.planned_rejects = plan.rejects
    result.planned_retires = plan.retires
    result.rekeyed = plan.rekeyed
    result.unchanged = plan.unchanged
    result.parked = plan.parked
    result.tombstoned = plan.tombstoned
    result.plan = plan.changes


def _fail(result: SyncResult, exc: BaseException, status: str = "failed") -> None:
    result.status = status
    result.exception = exc
    result.error = str(exc)
    result.error_type = type(exc).__name__
    log.error("sync %s: %s: %s", result.name, result.error_type, result.error)


def _describe(
    sync: SyncConfig,
    destination: Destination | None,
    cache: dict[tuple[str, str], dict[str, FieldInfo]],
) -> dict[str, FieldInfo] | None:
    """The destination object's fields, once per run_syncs call (None: no destination)."""
    if destination is None or not hasattr(destination, "describe"):
        return None
    key = (sync.destination, sync.object)
    if key not in cache:
        cache[key] = destination.describe(sync.object)
    return cache[key]


def _check_mapping(plan: Plan, full_resync: bool) -> None:
    if plan.mapping_changed and not full_resync:
        added, removed = plan.mapping_diff()
        raise MappingChanged(
            f"sync {plan.sync.name}: the field mapping changed since the state was written "
            f"(added {added or 'nothing'}, removed {removed or 'nothing'}); every row would be "
            f"re-sent. Run `revloop sync --full-resync {plan.sync.name}` to re-send all rows "
            "and clear the dropped fields once (a dry run shows the plan)"
        )


def _plan(
    con: duckdb.DuckDBPyConnection,
    sync: SyncConfig,
    fields: dict[str, FieldInfo] | None,
    full_resync: bool,
) -> Plan:
    lengths = None
    if fields is not None:
        lengths = check_schema(sync, fields, _columns(con, sync.source, sync.name))
    plan = build_plan(con, sync, lengths, full_resync)
    return plan


PLAN_ERRORS = (
    GuardrailViolation,
    SyncSourceError,
    SchemaMismatch,
    MappingChanged,
    DestinationError,
    duckdb.Error,
)


def run_sync(
    warehouse: Path,
    sync: SyncConfig,
    dry_run: bool,
    destinations: Mapping[str, Destination],
    destination_problem: Exception | None = None,
    *,
    full_resync: bool = False,
    lock_wait: float = 0.0,
    schema_cache: dict[tuple[str, str], dict[str, FieldInfo]] | None = None,
    retry_parked: bool = False,
) -> SyncResult:
    result = SyncResult(sync.name, sync.destination, sync.object, dry_run=dry_run)
    result.full_resync = full_resync
    started = time.monotonic()
    cache = schema_cache if schema_cache is not None else {}
    destination = destinations.get(sync.destination)
    if not warehouse.exists():
        _fail(
            result,
            SyncSourceError(
                f"sync {sync.name}: warehouse {warehouse} does not exist; run the pipeline first"
            ),
        )
        return result
    if dry_run:
        result.status = "dry_run"
        try:
            fields = _describe(sync, destination, cache)
            with warehouse_connect(warehouse, read_only=True) as con:
                plan = _plan(con, sync, fields, full_resync)
            _fill_plan_counts(result, plan)
            _check_mapping(plan, full_resync)
            check_plan(plan, skip_change_share=full_resync)
        except PLAN_ERRORS as exc:
            _fail(result, exc)
        result.duration_s = time.monotonic() - started
        log.info("%s", result.summary())
        for line in result.plan_lines():  # record values: debug only (keys may be e-mails)
            log.debug("%s", line)
        return result

    result.run_id = (
        f"{sync.name}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-" + (uuid.uuid4().hex[:8])
    )
    try:
        with SyncLock(lock_path(warehouse, sync.name), sync.name, lock_wait, result.run_id):
            _run_locked(
                warehouse,
                sync,
                destination,
                destination_problem,
                result,
                started,
                full_resync,
                cache,
                retry_parked,
            )
    except SyncAlreadyRunning as exc:
        result.run_id = None
        _fail(result, exc, status="skipped")
    log.info("%s", result.summary())
    return result


def _run_locked(
    warehouse: Path,
    sync: SyncConfig,
    destination: Destination | None,
    destination_problem: Exception | None,
    result: SyncResult,
    started: float,
    full_resync: bool,
    cache: dict[tuple[str, str], dict[str, FieldInfo]],
    retry_parked: bool,
) -> None:
    fields: dict[str, FieldInfo] | None = None
    describe_error: Exception | None = None
    try:
        fields = _describe(sync, destination, cache)
    except DestinationError as exc:  # no warehouse held during the call
        describe_error = exc
    # opened once for planning; handed to the sending lease when there is something to send
    # (opening a DuckDB file costs ~0.1 s, as much as sending a few thousand records)
    con: duckdb.DuckDBPyConnection | None = warehouse_connect(warehouse)
    try:
        state.ensure_tables(con)
        state.start_run(con, result.run_id or "", sync.name, sync.destination, sync.object)
        if retry_parked:
            con.execute(
                f"UPDATE {state.SCHEMA}._sync_dead_letter SET parked = false, attempts = 0 "
                "WHERE sync_name = ? AND parked",
                [sync.name],
            )
        try:
            if describe_error is not None:
                raise describe_error
            plan = _plan(con, sync, fields, full_resync)
            _fill_plan_counts(result, plan)
            _check_mapping(plan, full_resync)
            check_plan(plan, skip_change_share=full_resync)
        except PLAN_ERRORS as exc:
            _fail(result, exc)
            result.duration_s = time.monotonic() - started
            _finish(con, result)
            return
        invalid = [c for c in plan.changes if c.action == "reject"]
        con.begin()
        state.record_outcomes(
            con,
            result.run_id or "",
            sync.name,
            [
                state.Outcome(
                    c.key,
                    "reject",
                    False,
                    c.row_hash,
                    c.payload,
                    error_code=(c.reason or "").split(":", 1)[0],
                    error_message=c.reason,
                )
                for c in invalid
            ],
            max_attempts=sync.dead_letter.max_attempts,
        )
        _progress(con, result)
        con.commit()
        unfinished = state.unfinished_bulk_jobs(con, sync.name)
        known_jobs = state.known_bulk_jobs(con) if unfinished else set()

        if unfinished and destination is not None and hasattr(destination, "finish_jobs"):
            # a killed or timed-out run left Bulk jobs (or a job create whose answer was
            # lost): finish or abort them before new ones, without holding the warehouse
            con.close()
            con = None
            try:
                final = destination.finish_jobs(unfinished, known_jobs)
            except DestinationError as exc:
                _fail(result, exc)
                final = {}
            con = warehouse_connect(warehouse)
            for job_id, job_state in final.items():
                if job_id in known_jobs:
                    con.execute(
                        f"UPDATE {state.SCHEMA}._sync_bulk_jobs SET state = ?, updated_at = ? "
                        "WHERE job_id = ?",
                        [job_state, state.now(), job_id],
                    )
                else:  # an orphan found and aborted: recorded for the audit
                    state.record_bulk_job(
                        con,
                        sync.name,
                        result.run_id or "",
                        {"id": job_id, "object": sync.object, "state": job_state},
                    )
            log.info("sync %s: settled %d unfinished Bulk job(s): %s", sync.name, len(final), final)

        to_send = plan.to_send()
        if result.status == "running" and to_send and destination is None:
            exc = destination_problem or DestinationError(
                f"sync {sync.name}: no {sync.destination} destination configured"
            )
            _fail(result, exc)
        elif result.status == "running" and to_send:
            fresh_invalid = sum(1 for c in invalid if not c.retry)
            handed, con = con, None  # the lease owns (and closes) it from here
            _send(
                warehouse, sync, destination, to_send, result, started, plan, fresh_invalid, handed
            )
            return
        if result.status == "running":
            result.status = "partial" if result.rejected or result.planned_rejects else "succeeded"
        result.duration_s = time.monotonic() - started
        _finish(con, result, plan)
    finally:
        if con is not None:
            con.close()


def _send(
    warehouse: Path,
    sync: SyncConfig,
    destination: Destination,
    to_send: list[PlannedChange],
    result: SyncResult,
    started: float,
    plan: Plan,
    fresh_invalid: int,
    con: duckdb.DuckDBPyConnection | None = None,
) -> None:
    """Send on a producer thread, commit on this one: the next batch is on the wire while
    the last confirmed ones are committed, and batches confirmed meanwhile share one
    transaction. State still only ever covers records the CRM confirmed; a SIGKILL loses at
    most the batch in flight plus the confirmed ones not yet committed (re-sent next run,
    idempotently)."""
    by_key = {c.key: c for c in to_send}
    any_retry = any(c.retry for c in to_send)
    retried_keys = frozenset(c.key for c in to_send if c.retry)
    calls_before = destination.api_calls
    monitor = RejectMonitor(sync.name, sync.guardrails)
    monitor.sent, monitor.rejected = fresh_invalid, fresh_invalid
    with WarehouseLease(warehouse, con=con) as lease:

        def job_recorder(info: dict) -> None:
            lease.transaction(
                lambda con: state.record_bulk_job(con, sync.name, result.run_id or "", info)
            )

        request = WriteRequest(
            object=sync.object,
            external_id=sync.external_id,
            mode=sync.mode,
            records=[
                OutboundRecord(c.key, c.fields, c.action, c.destination_id)  # type: ignore[arg-type]
                for c in to_send
            ],
            batch_size=sync.batch_size or 200,
            bulk_threshold=sync.bulk_threshold,
            bulk_job_size=sync.bulk_job_size,
            adopt_by=sync.adopt_by,
            on_bulk_job=job_recorder,
            duplicate_of=sync.duplicate_of,
        )
        inbox: queue.Queue = queue.Queue(maxsize=SEND_AHEAD)
        stop = threading.Event()

        def produce() -> None:
            batches = None
            try:
                prepared = destination.prepare(request)
                result.adopted = getattr(prepared, "adopted", 0)
                result.duplicates = getattr(prepared, "duplicates", 0)
                _check_creates(sync, plan, prepared)
                batches = destination.write(prepared.request)
                for batch in batches:
                    inbox.put(("batch", batch))
                    monitor.observe(batch, retried_keys)
                    if stop.is_set():
                        break
            except BaseException as exc:  # handed to the committing thread
                inbox.put(("error", exc))
            finally:
                if batches is not None:
                    batches.close()  # type: ignore[attr-defined]
                inbox.put(("end", None))

        producer = threading.Thread(target=produce, name=f"sync-{sync.name}", daemon=True)
        producer.start()

        def commit(outcomes: list[state.Outcome]) -> None:
            lease.transaction(
                lambda con: state.record_outcomes(
                    con,
                    result.run_id or "",
                    sync.name,
                    outcomes,
                    retried=any_retry,
                    max_attempts=sync.dead_letter.max_attempts,
                )
            )

        try:
            done = False
            pending: list[state.Outcome] = []
            since = 0.0
            while not done:
                # group confirmed batches into one state transaction: up to COMMIT_RECORDS
                # records, or whatever COMMIT_SECONDS after the group's first batch brought
                kind, item = None, None
                try:
                    if not pending:
                        kind, item = inbox.get()
                    else:
                        wait = since + COMMIT_SECONDS - time.monotonic()
                        kind, item = inbox.get(timeout=wait) if wait > 0 else inbox.get_nowait()
                except queue.Empty:
                    pass
                error: BaseException | None = None
                if kind == "batch":
                    if not pending:
                        since = time.monotonic()
                    pending.extend(_outcomes(sync, item, by_key, result))
                elif kind == "error":
                    error = item  # type: ignore[assignment]
                elif kind == "end":
                    done = True
                if pending and (
                    kind is None or done or error is not None or len(pending) >= COMMIT_RECORDS
                ):
                    commit(pending)
                    pending = []
                if error is not None:
                    raise error
        except GuardrailViolation as exc:
            _fail(result, exc)
        except DestinationRateLimited as exc:
            _fail(result, exc, status="partial")
        except (DestinationAuthError, DestinationError) as exc:
            _fail(result, exc)
        except Exception as exc:  # record it on the run and keep the other syncs going
            log.exception("sync %s: unexpected error while sending", sync.name)
            _fail(result, exc)
        finally:
            stop.set()
            while producer.is_alive():  # let a blocked producer finish its last put
                with contextlib.suppress(queue.Empty):
                    inbox.get(timeout=0.1)
            producer.join()
            result.api_calls = destination.api_calls - calls_before
            if result.status == "running":
                result.status = (
                    "partial" if result.rejected or result.planned_rejects else "succeeded"
                )
            result.duration_s = time.monotonic() - started
            lease.transaction(lambda con: _finish(con, result, plan))


def _check_creates(sync: SyncConfig, plan: Plan, prepared: object) -> None:
    """The create guardrail, on what the destination would really create after adoption."""
    creates = getattr(prepared, "creates", 0)
    adopted = getattr(prepared, "adopted", 0)
    limit = sync.guardrails.max_create_share
    base = max(plan.consented_rows, 1)
    if getattr(prepared, "destination_empty", False) or creates <= limit * base:
        return
    how = f"{adopted} existing matched by {sync.adopt_by}" if sync.adopt_by else "no adoption set"
    raise GuardrailViolation(
        f"sync {sync.name}: would create {creates} new {sync.object} records ({creates / base:.0%} "
        f"of the payload; {how}), above guardrails.max_create_share = {limit:.0%}. The "
        f"{sync.destination} object already holds records and the API does not de-duplicate "
        f"creates: check that existing records carry {sync.adopt_by or sync.external_id}, "
        "then raise the limit"
    )


def _outcomes(
    sync: SyncConfig, batch: object, by_key: dict[str, PlannedChange], result: SyncResult
) -> list[state.Outcome]:
    outcomes = []
    for r in batch.results:  # type: ignore[attr-defined]
        if r.duplicate_of is not None:  # a pointer written on another record of an adopted key
            payload = json.dumps({sync.duplicate_of: r.duplicate_of}, separators=(",", ":"))
            outcomes.append(
                state.Outcome(
                    r.duplicate_of,
                    "duplicate",
                    r.success,
                    None,
                    payload,
                    destination_id=r.destination_id,
                    error_code=r.error_code,
                    error_message=r.error_message,
                )
            )
            if not r.success:
                log.warning(
                    "sync %s: could not mark %s %s a duplicate of %s: %s %s",
                    sync.name,
                    sync.object,
                    r.destination_id,
                    r.duplicate_of,
                    r.error_code,
                    r.error_message,
                )
            continue
        change = by_key.get(r.key)
        if change is None:
            log.warning("sync %s: destination answered for unknown key %r", sync.name, r.key)
            continue
        outcomes.append(
            state.Outcome(
                r.key,
                change.action,
                r.success,
                change.row_hash,
                change.payload,
                # the key written on a re-key is not one of revloop's values: a later clear
                # must never empty it
                [
                    f
                    for f in change.fields_written
                    if f not in change.dropped and f != sync.external_id
                ],
                r.destination_id,
                r.error_code,
                r.error_message,
                gone=r.gone,
                replaces=change.replaces,
            )
        )
        if r.gone:
            log.info(
                "sync %s: %s %s is gone in the CRM (%s); dropped from state, not retried",
                sync.name,
                sync.object,
                r.destination_id or r.key,
                r.error_code,
            )
    counted = [o for o in outcomes if o.action != "duplicate"]
    result.sent += len(counted)
    result.succeeded += sum(1 for o in counted if o.success)
    result.gone += sum(1 for o in counted if o.gone)
    result.rejected += sum(1 for o in counted if not o.success and not o.gone)
    return outcomes


def _progress(con: duckdb.DuckDBPyConnection, result: SyncResult) -> None:
    state.update_run(
        con,
        result.run_id or "",
        planned=result.planned,
        sent=result.sent,
        succeeded=result.succeeded,
        rejected=result.rejected + result.planned_rejects,
        unchanged=result.unchanged,
    )


def _finish(con: duckdb.DuckDBPyConnection, result: SyncResult, plan: Plan | None = None) -> None:
    if plan is not None and result.status != "failed":
        state.save_mapping(con, result.name, plan.fingerprint, plan.sync.mapping)
    result.parked = con.execute(
        f"SELECT count(*) FROM {state.SCHEMA}._sync_dead_letter WHERE sync_name = ? AND parked",
        [result.name],
    ).fetchone()[0]
    state.update_run(
        con,
        result.run_id or "",
        planned=result.planned,
        sent=result.sent,
        succeeded=result.succeeded,
        rejected=result.rejected + result.planned_rejects,
        unchanged=result.unchanged,
        status=result.status,
        error=result.error,
        finished=True,
        parked=result.parked,
    )


def list_rejects(warehouse: Path, names: list[str] | None = None, limit: int = 1000) -> list[dict]:
    """Dead letters (parked first) of the named syncs, for `revloop sync --rejects`."""
    with warehouse_connect(warehouse, read_only=True) as con:
        if "_sync_dead_letter" not in {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
                [state.SCHEMA],
            ).fetchall()
        }:
            return []
        where = "WHERE sync_name IN (SELECT unnest(?))" if names else ""
        rows = con.execute(
            "SELECT sync_name, record_key, coalesce(parked, false), attempts, error_code, "
            f"error_message, last_failed_at FROM {state.SCHEMA}._sync_dead_letter {where} "
            "ORDER BY sync_name, 3 DESC, record_key LIMIT ?",
            [names, limit] if names else [limit],
        ).fetchall()
    keys = (
        "sync_name",
        "record_key",
        "parked",
        "attempts",
        "error_code",
        "error_message",
        "last_failed_at",
    )
    return [dict(zip(keys, r, strict=True)) for r in rows]
