"""``revloop sync``: the reverse ETL only (a dry run plans and changes no state).

Options beyond a plain run: ``--rejects`` lists the dead letters (parked first) and sends
nothing; ``--retry`` retries parked dead letters once more; ``--full-resync NAME`` re-sends
every row of a sync whose mapping changed (and clears dropped fields once);
``--wait-for-lock SECONDS`` waits for a run of the same sync that is still going.
"""

from __future__ import annotations

import argparse

from orchestration.cli.common import EXIT_FAILED, EXIT_OK, absolute_settings, crm_endpoints
from orchestration.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    sync = sub.add_parser("sync", help="reverse ETL only")
    sync.add_argument("--dry-run", action="store_true", help="plan only, change no state")
    sync.add_argument(
        "--sync", dest="syncs", action="append", metavar="NAME", help="only this sync (repeatable)"
    )
    sync.add_argument(
        "--rejects", action="store_true", help="list dead letters (parked first); send nothing"
    )
    sync.add_argument(
        "--retry", action="store_true", help="retry parked dead letters once more, then sync"
    )
    sync.add_argument(
        "--full-resync",
        dest="full_resync",
        action="append",
        default=[],
        metavar="NAME",
        help="re-send every row of this sync (after a mapping change); repeatable",
    )
    sync.add_argument(
        "--wait-for-lock",
        dest="lock_wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for a running sync of the same name (default: exit at once)",
    )
    sync.set_defaults(func=cmd_sync)


def cmd_sync(args: argparse.Namespace) -> int:
    from reverse_etl.engine import list_rejects, run_syncs

    s = absolute_settings()
    if args.rejects:
        rows = list_rejects(s.warehouse, args.syncs) if s.warehouse.exists() else []
        print(f"{len(rows)} dead letter(s)" + (":" if rows else ""))
        for r in rows:
            state = "parked" if r["parked"] else f"retrying (attempt {r['attempts']})"
            print(
                f"  {r['sync_name']}  {r['record_key']}  {state}  {r['error_code']}: "
                f"{(r['error_message'] or '')[:120]}"
            )
        return EXIT_OK
    names = args.syncs
    if args.full_resync:
        names = sorted(set(names or []) | set(args.full_resync)) if names else None
    with crm_endpoints(s) as crm:
        # crm_endpoints exports the sandbox's URL when no CRM is configured: read it here, at
        # the edge, and hand the engine explicit settings
        config = Settings.from_env().crm_config()
        results = run_syncs(
            s.warehouse,
            s.syncs_dir,
            names=names,
            dry_run=args.dry_run,
            crm=config,
            full_resync=args.full_resync,
            lock_wait=args.lock_wait,
            retry_parked=args.retry,
        )
    print(("dry run (no state changed) " if args.dry_run else "") + f"against {crm}")
    failed = 0
    for r in results:
        print("  " + r.summary())
        if r.warning:
            print("    warning: " + r.warning)
        failed += 1 if r.status in ("failed", "skipped") or r.error else 0
    return EXIT_FAILED if failed else EXIT_OK
