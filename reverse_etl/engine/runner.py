"""Run syncs: plan, check guardrails, send changed rows, commit state per confirmed batch.

The warehouse connection is opened only to plan and to record each confirmed batch, never
across HTTP calls, because DuckDB allows one writer per file and the dashboard/Dagster may
want it in between. Each batch's state write is one transaction: a SIGKILL mid-sync loses at
most the in-flight batch, which the next run re-sends (idempotent by external id).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from reverse_etl.destinations import (
    Destination,
    DestinationAuthError,
    DestinationConfigError,
    DestinationError,
    DestinationRateLimited,
    OutboundRecord,
    WriteRequest,
    build_destinations,
)
from reverse_etl.engine import state
from reverse_etl.engine.config import SyncConfig, load_syncs
from reverse_etl.engine.guardrails import GuardrailViolation, RejectMonitor, check_plan
from reverse_etl.engine.planner import Plan, PlannedChange, SyncSourceError, build_plan
from reverse_etl.engine.warehouse import WarehouseLease
from reverse_etl.engine.warehouse import connect as warehouse_connect

log = logging.getLogger(__name__)


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
    unchanged: int = 0
    sent: int = 0
    succeeded: int = 0
    rejected: int = 0
    api_calls: int = 0
    duration_s: float = 0.0
    error: str | None = None
    error_type: str | None = None
    plan: list[PlannedChange] = field(default_factory=list, repr=False)

    @property
    def planned(self) -> int:
        return self.planned_creates + self.planned_updates + self.planned_clears

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

    def summary(self) -> str:
        head = f"{self.name} → {self.destination}.{self.object}: {self.status}"
        plan = (
            f"planned {self.planned} ({self.planned_creates} create, {self.planned_updates} "
            f"update, {self.planned_clears} clear), {self.planned_rejects} invalid, "
            f"{self.unchanged} unchanged"
        )
        if self.dry_run:
            text = f"{head} [dry run] — {plan}"
        else:
            text = (
                f"{head} — {plan}; sent {self.sent}, succeeded {self.succeeded}, rejected "
                f"{self.rejected}, {self.api_calls} API calls, {self.duration_s:.2f}s"
            )
        return text + (f" — {self.error_type}: {self.error}" if self.error else "")


def run_syncs(
    warehouse: Path,
    syncs_dir: Path | None = None,
    names: list[str] | None = None,
    dry_run: bool = False,
    destinations: Mapping[str, Destination] | None = None,
) -> list[SyncResult]:
    """Run the named syncs (all by default) in file order; one failing never stops the rest.

    A sync failing (guardrail, missing payload, destination error) is reported in its
    SyncResult (`ok` False, `error_type`, `error`), and recorded in `reverse_etl._sync_runs`.
    """
    syncs = load_syncs(syncs_dir, names)
    problems: dict[str, Exception] = {}
    if not dry_run and destinations is None:
        built: dict[str, Destination] = {}
        for name in sorted({s.destination for s in syncs}):
            try:
                built.update(build_destinations(only={name}))
            except DestinationConfigError as exc:
                problems[name] = exc
        destinations = built
    return [
        run_sync(Path(warehouse), s, dry_run, destinations or {}, problems.get(s.destination))
        for s in syncs
    ]


def _fill_plan_counts(result: SyncResult, plan: Plan) -> None:
    result.source_rows = plan.source_rows
    result.consented_rows = plan.consented_rows
    result.planned_creates = plan.creates
    result.planned_updates = plan.updates
    result.planned_clears = plan.clears
    result.planned_rejects = plan.rejects
    result.unchanged = plan.unchanged
    result.plan = plan.changes


def _fail(result: SyncResult, exc: BaseException, status: str = "failed") -> None:
    result.status = status
    result.exception = exc
    result.error = str(exc)
    result.error_type = type(exc).__name__
    log.error("sync %s: %s: %s", result.name, result.error_type, result.error)


def run_sync(
    warehouse: Path,
    sync: SyncConfig,
    dry_run: bool,
    destinations: Mapping[str, Destination],
    destination_problem: Exception | None = None,
) -> SyncResult:
    result = SyncResult(sync.name, sync.destination, sync.object, dry_run=dry_run)
    started = time.monotonic()
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
            with warehouse_connect(warehouse, read_only=True) as con:
                plan = build_plan(con, sync)
            _fill_plan_counts(result, plan)
            check_plan(plan)
        except (GuardrailViolation, SyncSourceError, duckdb.Error) as exc:
            _fail(result, exc)
        result.duration_s = time.monotonic() - started
        log.info("%s", result.summary())
        for line in result.plan_lines():  # record values: debug only (keys may be e-mails)
            log.debug("%s", line)
        return result

    result.run_id = (
        f"{sync.name}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-" + (uuid.uuid4().hex[:8])
    )
    with warehouse_connect(warehouse) as con:
        state.ensure_tables(con)
        state.start_run(con, result.run_id, sync.name, sync.destination, sync.object)
        try:
            plan = build_plan(con, sync)
            _fill_plan_counts(result, plan)
            check_plan(plan)
        except (GuardrailViolation, SyncSourceError, duckdb.Error) as exc:
            _fail(result, exc)
            _finish(con, result)
            return result
        invalid = [c for c in plan.changes if c.action == "reject"]
        con.begin()
        state.record_outcomes(
            con,
            result.run_id,
            sync.name,
            [
                state.Outcome(
                    c.key,
                    "reject",
                    False,
                    c.row_hash,
                    c.payload,
                    error_code=c.reason.split(":", 1)[0],
                    error_message=c.reason,
                )
                for c in invalid
            ],
        )
        _progress(con, result)
        con.commit()

    to_send = plan.to_send()
    destination = destinations.get(sync.destination)
    if to_send and destination is None:
        exc = destination_problem or DestinationError(
            f"sync {sync.name}: no {sync.destination} destination configured"
        )
        _fail(result, exc)
    elif to_send:
        _send(warehouse, sync, destination, to_send, result, started)
        log.info("%s", result.summary())
        return result
    if result.status == "running":
        result.status = "partial" if result.rejected or result.planned_rejects else "succeeded"
    result.duration_s = time.monotonic() - started
    with warehouse_connect(warehouse) as con:
        _finish(con, result)
    log.info("%s", result.summary())
    return result


def _send(
    warehouse: Path,
    sync: SyncConfig,
    destination: Destination,
    to_send: list[PlannedChange],
    result: SyncResult,
    started: float,
) -> None:
    by_key = {c.key: c for c in to_send}
    any_retry = any(c.retry for c in to_send)
    retried_keys = frozenset(c.key for c in to_send if c.retry)
    request = WriteRequest(
        object=sync.object,
        external_id=sync.external_id,
        mode=sync.mode,
        records=[OutboundRecord(c.key, c.fields, c.action) for c in to_send],  # type: ignore[arg-type]
        batch_size=sync.batch_size or 200,
        bulk_threshold=sync.bulk_threshold,
    )
    monitor = RejectMonitor(sync.name, sync.guardrails)
    calls_before = destination.api_calls
    batches = destination.write(request)
    with WarehouseLease(warehouse) as lease:
        try:
            for batch in batches:
                outcomes = []
                for r in batch.results:
                    change = by_key.get(r.key)
                    if change is None:
                        log.warning(
                            "sync %s: destination answered for unknown key %r", sync.name, r.key
                        )
                        continue
                    outcomes.append(
                        state.Outcome(
                            r.key,
                            change.action,
                            r.success,
                            change.row_hash,
                            change.payload,
                            change.fields_written,
                            r.destination_id,
                            r.error_code,
                            r.error_message,
                        )
                    )
                result.sent += len(outcomes)
                result.succeeded += sum(1 for o in outcomes if o.success)
                result.rejected += sum(1 for o in outcomes if not o.success)

                # run counters are written at the end; per batch only what state needs
                lease.transaction(
                    lambda con, outcomes=outcomes: state.record_outcomes(
                        con, result.run_id or "", sync.name, outcomes, retried=any_retry
                    )
                )
                monitor.observe(batch, retried_keys)
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
            batches.close()  # type: ignore[attr-defined]
            result.api_calls = destination.api_calls - calls_before
            if result.status == "running":
                result.status = (
                    "partial" if result.rejected or result.planned_rejects else "succeeded"
                )
            result.duration_s = time.monotonic() - started
            lease.transaction(lambda con: _finish(con, result))


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


def _finish(con: duckdb.DuckDBPyConnection, result: SyncResult) -> None:
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
    )
