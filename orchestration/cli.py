"""``revloop``: the command line of the whole loop (docs: shared/spec/interfaces.md).

Thin by design: each command calls the same Python entry points Dagster calls, and
``revloop run`` executes the Dagster ``nightly`` job in-process so the CLI and
``dagster dev`` run exactly the same assets and checks. Secrets are never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from orchestration.settings import Settings

log = logging.getLogger("revloop")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNAVAILABLE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="revloop",
        description="ELT + reverse ETL for B2B revenue teams: load, model, gate, activate.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show INFO logs")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gen = sub.add_parser("generate", help="write a realistic sample of vendor extracts")
    gen.add_argument("--scale", choices=("small", "medium", "large"), default="small")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument(
        "--out", type=Path, default=None, help="extracts folder (default: $REVLOOP_EXTRACTS)"
    )
    gen.add_argument(
        "--end-date",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="last day of the generated world (default: yesterday, UTC); the same seed and "
        "end date give byte-identical files",
    )

    sub.add_parser("load", help="load new extract files into raw.* (loaders only)")
    sub.add_parser("run", help="one nightly run: load → dbt build → quality gates → reverse ETL")

    sync = sub.add_parser("sync", help="reverse ETL only")
    sync.add_argument("--dry-run", action="store_true", help="plan only, change no state")
    sync.add_argument(
        "--sync", dest="syncs", action="append", metavar="NAME", help="only this sync (repeatable)"
    )

    sandbox = sub.add_parser("sandbox", help="serve the bundled local CRM on 127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)

    dash = sub.add_parser("dashboard", help="serve the RevOps dashboard (not yet available)")
    dash.add_argument("--port", type=int, default=8050)

    ext = sub.add_parser(
        "extract-salesforce", help="pull Salesforce objects over REST into the extracts folder"
    )
    ext.add_argument("--objects", nargs="+", default=None, help="objects (default: all)")
    ext.add_argument("--out", type=Path, default=None, help="default: $REVLOOP_EXTRACTS")
    return parser


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _absolute_settings() -> Settings:
    """Settings with absolute paths, exported back to the environment for child processes
    (dbt runs in dbt_project/, so a relative warehouse path would point elsewhere)."""
    s = Settings.from_env()
    s = replace(
        s,
        extracts=s.extracts.resolve(),
        warehouse=s.warehouse.resolve(),
        sandbox_db=s.sandbox_db.resolve(),
    )
    os.environ["REVLOOP_EXTRACTS"] = str(s.extracts)
    os.environ["REVLOOP_WAREHOUSE"] = str(s.warehouse)
    os.environ["REVLOOP_SANDBOX_DB"] = str(s.sandbox_db)
    s.warehouse.parent.mkdir(parents=True, exist_ok=True)
    return s


@contextlib.contextmanager
def crm_endpoints(settings: Settings) -> Iterator[str]:
    """Yield a description of the CRM in use; start the sandbox when no CRM is configured."""
    if not settings.uses_sandbox:
        parts = [settings.salesforce_instance_url, settings.hubspot_base_url]
        yield "configured CRM: " + ", ".join(p for p in parts if p)
        return
    from sandbox.server import start_background

    handle = start_background(0, settings.sandbox_db, settings.extracts, settings.sandbox_token)
    env = {
        "SALESFORCE_INSTANCE_URL": handle.url,
        "HUBSPOT_BASE_URL": handle.url,
        "SALESFORCE_ACCESS_TOKEN": settings.sandbox_token,
        "HUBSPOT_ACCESS_TOKEN": settings.sandbox_token,
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield f"local sandbox CRM at {handle.url} (state in {settings.sandbox_db})"
    finally:
        handle.stop()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def cmd_generate(args: argparse.Namespace) -> int:
    from connectors.generate import generate, yesterday_utc

    settings = Settings.from_env()
    out = (args.out or settings.extracts).resolve()
    end_date = args.end_date or yesterday_utc()
    counts = generate(
        out, scale=args.scale, seed=args.seed, truth_dir=out.parent / "truth", end_date=end_date
    )
    print(f"wrote {args.scale} sample (seed {args.seed}, world ending {end_date}) to {out}")
    for source, value in sorted((counts or {}).items()):
        print(f"  {source}: {value}")
    print("next: revloop run")
    return EXIT_OK


def _print_raw_counts(warehouse: Path) -> None:
    from orchestration.defs.ingest.assets import table_counts
    from orchestration.defs.ingest.sources import source_entities

    tables = [f"{s}__{e}" for s, es in source_entities().items() for e in es]
    for table, c in table_counts(warehouse, tables).items():
        if c["rows"] or c["quarantined"]:
            print(f"  raw.{table}: {c['rows']} rows, {c['quarantined']} quarantined")


def cmd_load(args: argparse.Namespace) -> int:
    from connectors.load import load_all

    s = _absolute_settings()
    report = load_all(s.warehouse, s.extracts)
    print(f"loaded {s.extracts} into {s.warehouse}")
    print(report.summary())
    _print_raw_counts(s.warehouse)
    return EXIT_FAILED if report.failures else EXIT_OK


def _check_detail(evaluation: Any) -> str:
    if evaluation.description:
        return evaluation.description
    meta = {k: getattr(v, "value", v) for k, v in (evaluation.metadata or {}).items()}
    rows = meta.get("dagster_dbt/failed_row_count")
    return f"dbt test failed ({rows} failing rows)" if rows is not None else "failed"


def _root_cause(event: Any) -> str:
    """The innermost error message of a failed step (dagster wraps the real one)."""
    err = getattr(event.event_specific_data, "error", None)
    while err is not None and err.cause is not None:
        err = err.cause
    if err is None:
        return ""
    lines = [line for line in err.message.strip().splitlines() if line.strip()]
    return " ".join(lines[:3])


def summarize_run(result: Any, defs: Any) -> tuple[bool, list[str]]:
    """Turn a Dagster run result into (ok, lines): rows per source, models built, checks,
    records synced, and for a failure exactly what broke and that the sync did not run."""
    from dagster import DagsterEventType

    graph = defs.resolve_asset_graph()

    def tags_of(key: Any) -> dict[str, str]:
        return dict(graph.get(key).tags or {}) if graph.has(key) else {}

    rows_by_source: dict[str, int] = {}
    totals_by_source: dict[str, int] = {}
    quarantined = 0
    models = 0
    synced = {"planned": 0, "sent": 0, "failed": 0, "unchanged": 0}
    syncs_done: list[str] = []
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        key = mat.asset_key
        group = graph.get(key).group_name if graph.has(key) else None
        meta = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
        if group == "ingest":
            source = key.path[-1].split("__")[0]
            rows_by_source[source] = rows_by_source.get(source, 0) + int(meta.get("rows_loaded", 0))
            totals_by_source[source] = totals_by_source.get(source, 0) + int(
                meta.get("rows_total", 0)
            )
            quarantined += int(meta.get("rows_quarantined", 0))
        elif tags_of(key).get("revloop/role") == "sync":
            syncs_done.append(key.path[-1])
            for k in synced:
                synced[k] += int(meta.get(k, 0))
        else:
            models += 1

    evaluations = result.get_asset_check_evaluations()
    failed_checks = [e for e in evaluations if not e.passed]
    failures = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    planned_syncs = [
        k
        for k in result.job_def.asset_layer.selected_asset_keys
        if tags_of(k).get("revloop/role") == "sync"
    ]
    syncs_not_run = sorted(k.path[-1] for k in planned_syncs if k.path[-1] not in syncs_done)
    ok = result.success and not failed_checks

    lines = ["revloop run: " + ("OK" if ok else "FAILED")]
    lines.append(
        "  rows loaded this run: "
        + (
            ", ".join(
                f"{s} +{n} ({totals_by_source.get(s, 0)} in raw)"
                for s, n in sorted(rows_by_source.items())
            )
            or "none"
        )
        + f"; {quarantined} quarantined"
    )
    lines.append(f"  models/seeds built: {models}")
    lines.append(f"  checks passed: {len(evaluations) - len(failed_checks)}/{len(evaluations)}")
    lines.append(
        f"  records synced: {synced['sent']} sent, {synced['failed']} failed, "
        f"{synced['unchanged']} unchanged of {synced['planned']} planned "
        f"({len(syncs_done)} syncs)"
    )
    for e in failed_checks:
        key = e.asset_check_key
        lines.append(
            f"  FAILED check {key.asset_key.to_user_string()}:{key.name}: {_check_detail(e)}"
        )
    for e in failures:
        lines.append(f"  FAILED step {e.step_key}: {_root_cause(e)[:400]}")
    if not ok:
        lines.append(
            "  the reverse ETL did NOT run"
            if not syncs_done
            else "  some syncs ran before the failure: " + ", ".join(sorted(syncs_done))
        )
    if syncs_not_run:
        lines.append("  syncs not run: " + ", ".join(syncs_not_run))
    return ok, lines


@contextlib.contextmanager
def _quiet_stdout(target: Any, verbose: bool) -> Iterator[None]:
    """dagster-dbt echoes dbt's log to stdout; keep it in the run log unless -v."""
    if verbose:
        yield
        return
    with contextlib.redirect_stdout(target):
        yield


def cmd_run(args: argparse.Namespace) -> int:
    s = _absolute_settings()
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
    print("\n".join(lines))
    print(f"  CRM: {crm}")
    print(f"  warehouse: {s.warehouse}  (duckdb -readonly {s.warehouse})")
    print(f"  dbt output: {s.warehouse.parent / 'logs' / 'revloop-run.log'}")
    print(
        "  next: quarantine.* for rejected rows, reverse_etl.* for sync logs, "
        "`dagster dev -m orchestration.definitions` for the asset graph"
    )
    return EXIT_OK if ok else EXIT_FAILED


def cmd_sync(args: argparse.Namespace) -> int:
    from reverse_etl.engine import run_syncs

    s = _absolute_settings()
    with crm_endpoints(s) as crm:
        results = run_syncs(s.warehouse, s.syncs_dir, names=args.syncs, dry_run=args.dry_run)
    print(("dry run (no state changed) " if args.dry_run else "") + f"against {crm}")
    failed = 0
    for r in results:
        print("  " + r.summary())
        failed += 1 if r.status == "failed" or r.error else 0
    return EXIT_FAILED if failed else EXIT_OK


def cmd_sandbox(args: argparse.Namespace) -> int:
    from sandbox.server import serve

    s = _absolute_settings()
    print(
        f"local CRM sandbox on http://127.0.0.1:{args.port} (state: {s.sandbox_db}); Ctrl-C stops"
    )
    serve(args.port, s.sandbox_db, s.extracts, s.sandbox_token)
    return EXIT_OK


def cmd_dashboard(args: argparse.Namespace) -> int:
    print(
        "revloop dashboard is not yet available in this version; query the marts.* tables "
        "in the warehouse (read-only) meanwhile.",
        file=sys.stderr,
    )
    return EXIT_UNAVAILABLE


def cmd_extract_salesforce(args: argparse.Namespace) -> int:
    from connectors.extract.salesforce_api import extract_salesforce

    s = Settings.from_env()
    if not (s.salesforce_instance_url and s.salesforce_access_token):
        print(
            "revloop extract-salesforce needs SALESFORCE_INSTANCE_URL and "
            "SALESFORCE_ACCESS_TOKEN (point them at your org, or at `revloop sandbox`).",
            file=sys.stderr,
        )
        return EXIT_UNAVAILABLE
    out = (args.out or s.extracts).resolve()
    counts = extract_salesforce(
        out, s.salesforce_instance_url, s.salesforce_access_token, objects=args.objects
    )
    print(f"extracted Salesforce into {out}")
    for obj, value in sorted((counts or {}).items()):
        print(f"  {obj}: {value}")
    return EXIT_OK


COMMANDS = {
    "generate": cmd_generate,
    "load": cmd_load,
    "run": cmd_run,
    "sync": cmd_sync,
    "sandbox": cmd_sandbox,
    "dashboard": cmd_dashboard,
    "extract-salesforce": cmd_extract_salesforce,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,  # a library may have configured the root logger at import
    )
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the CLI edge: one clear line, the traceback only with -v
        if args.verbose:
            log.exception("revloop %s failed", args.command)
        print(f"revloop {args.command} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
