"""``revloop run``: one nightly run, the Dagster ``nightly`` job executed in-process, so the
CLI and ``dagster dev`` run exactly the same assets and checks."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from typing import Any

from orchestration.cli.common import EXIT_FAILED, EXIT_OK, absolute_settings, crm_endpoints
from orchestration.cli.summary import summarize_run


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser(
        "run", help="one nightly run: load → dbt build → quality gates → reverse ETL"
    )
    run.set_defaults(func=cmd_run)


@contextlib.contextmanager
def _quiet_stdout(target: Any, verbose: bool) -> Iterator[None]:
    """dagster-dbt echoes dbt's log to stdout; keep it in the run log unless -v."""
    if verbose:
        yield
        return
    with contextlib.redirect_stdout(target):
        yield


def cmd_run(args: argparse.Namespace) -> int:
    s = absolute_settings()
    from orchestration.dbt_project import ensure_manifest

    ensure_manifest()
    with crm_endpoints(s) as crm:
        from dagster import DagsterInstance

        from orchestration.definitions import defs

        instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else None
        level = "INFO" if args.verbose else "ERROR"
        run_log = s.warehouse.parent / "logs" / "revloop-run.log"
        run_log.parent.mkdir(parents=True, exist_ok=True)
        with run_log.open("w", encoding="utf-8") as log_file, _quiet_stdout(log_file, args.verbose):
            result = defs.resolve_job_def("nightly").execute_in_process(
                instance=instance,
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": level}}}},
            )
        ok, lines = summarize_run(result, defs)
        if not ok:  # in-process runs have no sensors: send the run-failure alert here
            from orchestration.defs.quality.sensors import alert_for_result

            hook = os.environ.get("REVLOOP_ALERT_WEBHOOK_URL", "")
            lines.append(alert_for_result(result, defs, hook))
    print("\n".join(lines))
    print(f"  CRM: {crm}")
    print(f"  warehouse: {s.warehouse}  (duckdb -readonly {s.warehouse})")
    print(f"  dbt output: {s.warehouse.parent / 'logs' / 'revloop-run.log'}")
    print(
        "  next: quarantine.* for rejected rows, reverse_etl.* for sync logs, "
        "`dagster dev -m orchestration.definitions` for the asset graph"
    )
    return EXIT_OK if ok else EXIT_FAILED
