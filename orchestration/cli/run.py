"""``revloop run``: one nightly run, the Dagster ``nightly`` job executed in-process, so the
CLI and ``dagster dev`` run exactly the same assets and checks.

The run is recorded in a persistent Dagster instance (``$DAGSTER_HOME``, else
``dagster_home/`` beside the warehouse), so ``make dagster`` shows every run with its steps,
checks and metadata. The console shows each step as it starts and ends (bars on a terminal,
timestamped lines elsewhere); everything else the run prints (dbt's log, Great
Expectations, dagster-dbt) goes to the run log file.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from orchestration.cli.common import EXIT_FAILED, EXIT_OK, absolute_settings, crm_endpoints
from orchestration.cli.progress import (
    RunProgress,
    dagster_file_logger,
    dagster_progress_logger,
    library_progress,
)
from orchestration.cli.summary import summarize_run
from orchestration.clock import as_of_text, parse_as_of
from orchestration.settings import Settings

SHIPPED_DAGSTER_YAML = Path(__file__).resolve().parents[2] / "dagster.yaml"


def _as_of_arg(text: str) -> dt.datetime:
    try:
        return parse_as_of(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser(
        "run", help="one nightly run: load → dbt build → quality gates → reverse ETL"
    )
    run.add_argument(
        "--as-of",
        type=_as_of_arg,
        default=None,
        metavar="TIMESTAMP",
        help="the build's as-of instant for replays and backfills, e.g. 2026-10-31T23:59:59Z "
        "or 2026-10-31 (end of that day, UTC); default: now",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="run every step even when nothing changed since the last successful run "
        "(by default such a run is skipped in seconds: orchestration/up_to_date.py)",
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental dbt models (the event log's GA4 base) from scratch "
        "instead of adding what arrived since the last build; the marts come out the same "
        "(implies --force)",
    )
    run.set_defaults(func=cmd_run)


def dagster_home_for(settings: Settings, environ: dict[str, str] | os._Environ[str]) -> Path:
    """``$DAGSTER_HOME`` if set, else ``dagster_home/`` beside the warehouse (created, with the
    shipped ``dagster.yaml`` copied in when the folder has none)."""
    home = Path(environ.get("DAGSTER_HOME") or settings.warehouse.parent / "dagster_home")
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists() and SHIPPED_DAGSTER_YAML.exists():
        target.write_text(SHIPPED_DAGSTER_YAML.read_text(encoding="utf-8"), encoding="utf-8")
    return home


def step_classifier(defs: Any) -> Any:
    """``step_key -> (stage, label)`` for the nightly job's steps."""
    from orchestration.defs.reverse_etl.sync_asset import SYNC_TAG

    graph = defs.resolve_asset_graph()
    sync_steps = {
        "__".join(key.path): key.path[-1]
        for key in graph.get_all_asset_keys()
        if graph.has(key) and (graph.get(key).tags or {}).items() >= SYNC_TAG.items()
    }

    def classify(step_key: str) -> tuple[str, str]:
        if step_key.startswith("load_"):
            return "load", step_key.removeprefix("load_")
        if step_key == "revloop_dbt":
            return "dbt", "build"
        if step_key.startswith("publish__"):
            return "publish", step_key.removeprefix("publish__")
        if step_key in sync_steps:
            return "sync", sync_steps[step_key]
        # GX check steps are named "<asset path>_<check name>"; the check name says it all
        return "checks", step_key[step_key.find("gx_") :] if "gx_" in step_key else step_key

    return classify


def dbt_model_count(defs: Any) -> int:
    from orchestration.defs.dbt.assets import dbt_assets_defs

    return sum(len(d.keys) for d in dbt_assets_defs)


@contextlib.contextmanager
def _everything_else_to(log_file: TextIO) -> Iterator[None]:
    """stdout, stderr, Python logging and warnings of the run go to the run log."""
    root = logging.getLogger()
    old_handlers, old_level = root.handlers[:], root.level
    handler = logging.StreamHandler(log_file)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    try:
        with contextlib.redirect_stdout(log_file), contextlib.redirect_stderr(log_file):
            yield
    finally:
        logging.captureWarnings(False)
        root.handlers, root.level = old_handlers, old_level


def cmd_run(args: argparse.Namespace) -> int:
    s = absolute_settings()
    started = dt.datetime.now(dt.UTC)
    as_of = as_of_text(args.as_of or started)
    full_refresh = bool(getattr(args, "full_refresh", False))
    console = sys.stdout
    home = dagster_home_for(s, os.environ)
    from orchestration import up_to_date

    if not (getattr(args, "force", False) or full_refresh):
        from dagster import DagsterInstance

        with DagsterInstance.from_config(str(home)) as instance:
            verdict = up_to_date.check(s, instance, as_of)
        if verdict.up_to_date:
            took = (dt.datetime.now(dt.UTC) - started).total_seconds()
            print(f"revloop run as of {as_of} UTC")
            print(f"  up to date: {verdict.reason}")
            print("  the published snapshot and the CRM stay as they are; `revloop run --force`")
            print("  runs every step anyway")
            print("revloop run: OK (nothing to do)")
            print(f"  time: check {took:.1f} s · total {took:.1f} s")
            return EXIT_OK
    fingerprint = up_to_date.fingerprint(s)
    from orchestration.dbt_project import ensure_manifest

    ensure_manifest()
    run_log = s.warehouse.parent / "logs" / "revloop-run.log"
    run_log.parent.mkdir(parents=True, exist_ok=True)
    mode = ", full refresh" if full_refresh else ""
    print(f"revloop run as of {as_of} UTC{mode}  (log: {run_log})", file=console, flush=True)
    print("  preparing: Dagster definitions, dbt manifest, CRM ...", file=console, flush=True)
    with crm_endpoints(s) as crm:
        from dagster import DagsterInstance

        from orchestration.definitions import defs
        from orchestration.defs.dbt.assets import FULL_REFRESH_TAG

        progress = RunProgress(
            console, step_classifier(defs), totals={"dbt": dbt_model_count(defs)}
        )
        progress.note_stage("prepare", (dt.datetime.now(dt.UTC) - started).total_seconds())
        with (
            run_log.open("w", encoding="utf-8") as log_file,
            DagsterInstance.from_config(str(home)) as instance,
        ):
            job = defs.resolve_job_def("nightly").with_logger_defs(
                {
                    "revloop_console": dagster_progress_logger(progress),
                    "revloop_file": dagster_file_logger(log_file),
                }
            )
            with progress.live(), library_progress(progress), _everything_else_to(log_file):
                result = job.execute_in_process(
                    instance=instance,
                    raise_on_error=False,
                    run_config={
                        "loggers": {"revloop_console": {}, "revloop_file": {}},
                        "ops": {
                            "revloop_dbt": {
                                "config": {"as_of": as_of, "full_refresh": full_refresh}
                            }
                        },
                    },
                    tags={
                        up_to_date.AS_OF_TAG: as_of,
                        up_to_date.FINGERPRINT_TAG: fingerprint,
                        "revloop/trigger": "revloop run",
                        FULL_REFRESH_TAG: str(full_refresh).lower(),
                    },
                )
                progress.close()
        ok, lines = summarize_run(result, defs)
        if not ok:  # in-process runs have no sensors: send the run-failure alert here
            from orchestration.defs.quality.sensors import alert_for_result

            hook = os.environ.get("REVLOOP_ALERT_WEBHOOK_URL", "")
            lines.append(alert_for_result(result, defs, hook))
    print("\n".join(lines))
    timings = progress.stage_seconds()
    total = (dt.datetime.now(dt.UTC) - started).total_seconds()
    print(
        "  time: "
        + " · ".join(f"{stage} {secs:.1f} s" for stage, secs in timings.items())
        + f" · total {total:.1f} s"
    )
    print(f"  run id: {result.run_id} (as of {as_of} UTC; Dagster instance {home})")
    print(f"  CRM: {crm}")
    print(f"  warehouse: {s.warehouse}")
    print(f"  run log: {run_log}")
    print(
        '  next: `revloop query "select * from marts.fct_lead_scores limit 5"` (read-only), '
        "`make dagster` for this run in the Dagster UI"
    )
    return EXIT_OK if ok else EXIT_FAILED
