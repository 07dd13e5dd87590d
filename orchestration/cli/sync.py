"""``revloop sync``: the reverse ETL only (a dry run plans and changes no state)."""

from __future__ import annotations

import argparse

from orchestration.cli.common import EXIT_FAILED, EXIT_OK, absolute_settings, crm_endpoints


def register(sub: argparse._SubParsersAction) -> None:
    sync = sub.add_parser("sync", help="reverse ETL only")
    sync.add_argument("--dry-run", action="store_true", help="plan only, change no state")
    sync.add_argument(
        "--sync", dest="syncs", action="append", metavar="NAME", help="only this sync (repeatable)"
    )
    sync.set_defaults(func=cmd_sync)


def cmd_sync(args: argparse.Namespace) -> int:
    from reverse_etl.engine import run_syncs

    s = absolute_settings()
    with crm_endpoints(s) as crm:
        results = run_syncs(s.warehouse, s.syncs_dir, names=args.syncs, dry_run=args.dry_run)
    print(("dry run (no state changed) " if args.dry_run else "") + f"against {crm}")
    failed = 0
    for r in results:
        print("  " + r.summary())
        failed += 1 if r.status == "failed" or r.error else 0
    return EXIT_FAILED if failed else EXIT_OK
