"""What a person watching ``revloop run`` sees while it works.

Each step of the nightly job is announced when it starts and when it ends, with its elapsed
time: load (files per source), dbt (models done / total), checks, each sync (planned / sent
/ refused). On a terminal the running steps are live progress bars (rich); anywhere else
(CI, cron, a pipe) the same news arrives as plain timestamped lines.

The news comes from two places, both plain ``logging``: the Dagster events of the run (a
Dagster logger hands every event record to ``RunProgress.on_dagster_record``) and the
``revloop.progress`` records library code emits (the loader's files done / total).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

import dagster as dg

STAGES = ("prepare", "load", "dbt", "checks", "publish", "sync")


@dataclass
class StepView:
    """One running or finished step of the job, as the console shows it."""

    key: str
    stage: str
    label: str
    started: float
    ended: float | None = None
    ok: bool | None = None
    done: int = 0
    total: int | None = None
    unit: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    task_id: Any = None

    @property
    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started


def _meta_value(value: Any) -> Any:
    return getattr(value, "value", value)


class RunProgress:
    """Turns the run's events into console lines or bars, and times each stage.

    ``classify(step_key) -> (stage, label)`` names a step; ``totals`` gives the expected
    count of units per stage where it is known up front (dbt models, checks).
    """

    def __init__(
        self,
        stream: TextIO,
        classify: Callable[[str], tuple[str, str]],
        totals: dict[str, int] | None = None,
        interactive: bool | None = None,
    ) -> None:
        self.stream = stream
        self.classify = classify
        self.totals = totals or {}
        self.interactive = stream.isatty() if interactive is None else interactive
        self.steps: dict[str, StepView] = {}
        self.checks_done = 0
        self.checks_failed = 0
        self._lock = threading.Lock()
        self._progress: Any = None
        self._current_load: StepView | None = None
        # consecutive check steps are shown as one "checks" group (a bar of suites)
        self._checks: StepView | None = None
        self._extra_seconds: dict[str, float] = {}

    # ------------------------------------------------------------------ lifecycle
    @contextmanager
    def live(self) -> Iterator[RunProgress]:
        """Show live bars on a terminal for the duration of the block."""
        if not self.interactive:
            yield self
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        console = Console(file=self.stream, highlight=False)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[unit]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        with self._progress:
            yield self
        self._progress = None

    def _line(self, text: str) -> None:
        if self._progress is not None:
            self._progress.console.print(text)
            return
        stamp = dt.datetime.now(dt.UTC).strftime("%H:%M:%S")
        self.stream.write(f"[{stamp}] {text}\n")
        self.stream.flush()

    # ------------------------------------------------------------------ events
    def on_dagster_record(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            return
        kind = event.event_type_value
        with self._lock:
            if kind == "STEP_START":
                self._start(event.step_key)
            elif kind == "ASSET_MATERIALIZATION":
                self._materialized(event)
            elif kind == "ASSET_CHECK_EVALUATION":
                self._check(event)
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
                self._end(event.step_key, ok=kind == "STEP_SUCCESS")

    def on_progress_record(self, record: logging.LogRecord) -> None:
        info = getattr(record, "revloop_progress", None)
        if not info:
            return
        with self._lock:
            step = self._current_load
            if step is None or step.stage != info.get("stage"):
                return
            step.done, step.total, step.unit = int(info["done"]), int(info["total"]), info["unit"]
            self._refresh(step)

    # ------------------------------------------------------------------ state changes
    def note_stage(self, stage: str, seconds: float, detail: str = "") -> None:
        """Time spent outside the job's steps (e.g. "prepare": definitions, manifest, CRM)."""
        self._extra_seconds[stage] = self._extra_seconds.get(stage, 0.0) + seconds
        self._line(f"done  {stage}  {seconds:.1f} s{('  ' + detail) if detail else ''}")

    def close(self) -> None:
        """End the open checks group (call once the run is over)."""
        with self._lock:
            self._close_checks()

    def _close_checks(self) -> None:
        group = self._checks
        if group is None:
            return
        self._checks = None
        group.ended = time.monotonic()
        if self._progress is not None and group.task_id is not None:
            self._progress.remove_task(group.task_id)
        failed = (
            f", {group.metadata.get('failed', 0)} failed" if group.metadata.get("failed") else ""
        )
        self._line(f"done  checks  {group.elapsed:.1f} s  {group.done} suites{failed}")

    def _start(self, step_key: str) -> None:
        stage, label = self.classify(step_key)
        if stage == "checks":
            self._start_check(step_key, label)
            return
        self._close_checks()
        step = StepView(step_key, stage, label, time.monotonic())
        step.total = self.totals.get(stage) if stage in ("dbt",) else None
        step.unit = {"dbt": "models", "load": "files"}.get(stage, "")
        self.steps[step_key] = step
        if stage == "load":
            self._current_load = step
        if self._progress is not None:
            step.task_id = self._progress.add_task(
                f"{stage} {label}", total=step.total, unit=step.unit
            )
        else:
            self._line(f"start {stage} {label}")

    def _start_check(self, step_key: str, label: str) -> None:
        if self._checks is None:
            self._checks = StepView("checks", "checks", "", time.monotonic(), unit="suites")
            self.steps[f"checks#{len(self.steps)}"] = self._checks
            if self._progress is not None:
                self._checks.task_id = self._progress.add_task("checks", total=None, unit="suites")
            else:
                self._line("start checks")
        self.steps[step_key] = StepView(step_key, "checks", label, time.monotonic())

    def _refresh(self, step: StepView) -> None:
        if self._progress is not None and step.task_id is not None:
            self._progress.update(step.task_id, completed=step.done, total=step.total)

    def _step_of(self, event: Any) -> StepView | None:
        return self.steps.get(event.step_key) if event.step_key else None

    def _materialized(self, event: Any) -> None:
        step = self._step_of(event)
        if step is None:
            return
        mat = event.event_specific_data.materialization
        if step.stage == "dbt":
            step.done += 1
            self._refresh(step)
        for k, v in (mat.metadata or {}).items():
            v = _meta_value(v)
            if isinstance(v, int | float) and not isinstance(v, bool):
                step.metadata[k] = step.metadata.get(k, 0) + v

    def _check(self, event: Any) -> None:
        evaluation = event.event_specific_data
        self.checks_done += 1
        if not evaluation.passed:
            key = evaluation.asset_check_key
            warn = getattr(evaluation.severity, "value", evaluation.severity) == "WARN"
            self.checks_failed += 0 if warn else 1
            mark = "WARN  " if warn else "FAILED"
            self._line(f"{mark} check {key.asset_key.to_user_string()}:{key.name}")

    def _end(self, step_key: str, ok: bool) -> None:
        step = self.steps.get(step_key)
        if step is None:
            return
        step.ended, step.ok = time.monotonic(), ok
        if step.stage == "checks":
            group = self._checks
            if group is not None:
                group.done += 1
                if not ok:
                    group.metadata["failed"] = group.metadata.get("failed", 0) + 1
                self._refresh(group)
            if not ok:
                self._line(f"FAILED check step {step.label}")
            return
        if self._progress is not None and step.task_id is not None:
            self._progress.remove_task(step.task_id)
        if step is self._current_load:
            self._current_load = None
        mark = "done" if ok else "FAILED"
        self._line(f"{mark}  {step.stage} {step.label}  {step.elapsed:.1f} s{self._detail(step)}")

    def _detail(self, step: StepView) -> str:
        m = step.metadata
        if step.stage == "load":
            return (
                f"  +{int(m.get('rows_loaded', 0)):,} rows, "
                f"{int(m.get('rows_quarantined', 0)):,} quarantined"
            )
        if step.stage == "dbt":
            total = f"/{step.total}" if step.total else ""
            return f"  {step.done}{total} models"
        if step.stage == "sync":
            return (
                f"  planned {int(m.get('planned', 0)):,} · sent {int(m.get('sent', 0)):,}"
                f" · refused {int(m.get('failed', 0)):,}"
            )
        return ""

    # ------------------------------------------------------------------ results
    def stage_seconds(self) -> dict[str, float]:
        """Elapsed seconds per stage (sum of its steps), in STAGES order."""
        out = {s: self._extra_seconds.get(s, 0.0) for s in STAGES}
        for key, step in self.steps.items():
            if step.stage == "checks" and not key.startswith("checks#"):
                continue  # counted once, by its group
            out[step.stage] = out.get(step.stage, 0.0) + step.elapsed
        return {k: v for k, v in out.items() if v}


class _Forward(logging.Handler):
    def __init__(self, fn: Callable[[logging.LogRecord], None]) -> None:
        super().__init__(level=logging.DEBUG)
        self.fn = fn

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.fn(record)
        except Exception:  # the console must never break the run
            self.handleError(record)


def dagster_progress_logger(progress: RunProgress) -> dg.LoggerDefinition:
    """A Dagster logger that hands every event of the run to ``progress``."""

    def _make(_init_context: Any) -> logging.Logger:
        logger = logging.Logger("revloop.console", level=logging.DEBUG)
        logger.addHandler(_Forward(progress.on_dagster_record))
        return logger

    return dg.LoggerDefinition(_make, description="revloop's console progress")


def dagster_file_logger(stream: TextIO) -> dg.LoggerDefinition:
    """A Dagster logger writing every message of the run (INFO and up) to ``stream``."""

    def _make(_init_context: Any) -> logging.Logger:
        logger = logging.Logger("revloop.run_log", level=logging.INFO)
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        return logger

    return dg.LoggerDefinition(_make, description="the run log file")


@contextmanager
def library_progress(progress: RunProgress) -> Iterator[None]:
    """Route ``revloop.progress`` records (library code) to ``progress`` for a block."""
    logger = logging.getLogger("revloop.progress")
    handler = _Forward(progress.on_progress_record)
    old_level, old_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # progress ticks are not log messages
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        logger.propagate = old_propagate
