"""``revloop files``: every delivery of every extract file and its status; set a bad delivery
aside so the night can go on (recorded with a reason, reversible)."""

from __future__ import annotations

import argparse
import sys

from orchestration.cli.common import EXIT_FAILED, EXIT_OK, absolute_settings

ATTENTION = ("failed", "ignored")


def register(sub: argparse._SubParsersAction) -> None:
    files = sub.add_parser(
        "files",
        help="list file deliveries and their status; set a bad delivery aside (--ignore)",
        description="Lists what the loaders know of every extract file: one row per delivery "
        "(path + checksum; a file rewritten in place is a new delivery that supersedes the "
        "earlier one). --ignore sets the delivery on disk aside: the loader skips it and "
        "staging stops reading its rows, so the night can go on; --restore undoes that.",
    )
    action = files.add_mutually_exclusive_group()
    action.add_argument("--ignore", metavar="PATH", help="set this delivery aside (needs --reason)")
    action.add_argument("--restore", metavar="PATH", help="undo --ignore for this path")
    files.add_argument("--reason", default="", help="why (recorded with the delivery)")
    files.add_argument("--all", action="store_true", help="list every delivery, not a summary")
    files.add_argument("--source", default=None, help="only this source (ga4, marketo, ...)")
    files.set_defaults(func=cmd_files)


def cmd_files(args: argparse.Namespace) -> int:
    from connectors.load.deliveries import ignore_delivery, list_deliveries, restore_delivery

    s = absolute_settings()
    if args.ignore:
        if not args.reason.strip():
            print("revloop files --ignore needs --reason TEXT (it is recorded)", file=sys.stderr)
            return EXIT_FAILED
        try:
            checksum = ignore_delivery(s.warehouse, s.extracts, args.ignore, args.reason)
        except ValueError as exc:
            print(f"revloop files: {exc}", file=sys.stderr)
            return EXIT_FAILED
        print(f"set aside {args.ignore} (delivery {checksum[:12]}): {args.reason.strip()}")
        print(f"  undo with: revloop files --restore {args.ignore}")
        return EXIT_OK
    if args.restore:
        count = restore_delivery(s.warehouse, args.restore, args.reason)
        if not count:
            print(f"revloop files: {args.restore} has no delivery set aside", file=sys.stderr)
            return EXIT_FAILED
        print(f"restored {args.restore} ({count} delivery); the next load reads it again")
        return EXIT_OK
    deliveries = [d for d in list_deliveries(s.warehouse) if args.source in (None, d.source)]
    print(f"deliveries recorded in {s.warehouse}: {len(deliveries)}")
    if args.all:
        for d in deliveries:
            _print(d)
        return EXIT_OK
    _print_summary(deliveries)
    return EXIT_OK


def _print(d) -> None:
    when = d.loaded_at.strftime("%Y-%m-%d %H:%M") if d.loaded_at else "-"
    rows = f"{d.rows_loaded}+{d.rows_quarantined}q" if d.rows_in else "-"
    note = f"  {d.note}" if d.note else ""
    print(f"  {d.status.upper():<10} {d.file}  @{d.checksum[:12]}  {when}  rows {rows}{note}")


def _print_summary(deliveries: list) -> None:
    from connectors.load.deliveries import STATUSES, status_counts

    counts = status_counts(deliveries)
    if counts:
        print("  " + f"{'source':<14}" + "".join(f"{s:>11}" for s in STATUSES))
        for source in sorted(counts):
            print("  " + f"{source:<14}" + "".join(f"{counts[source][s]:>11}" for s in STATUSES))
    attention = [d for d in deliveries if d.status in ATTENTION]
    if attention:
        print("needs attention (set a failed one aside with --ignore PATH --reason TEXT):")
        for d in attention:
            _print(d)
    superseded = [d for d in deliveries if d.status == "superseded"]
    if superseded:
        print(f"superseded deliveries (latest {min(10, len(superseded))}; --all lists every one):")
        for d in sorted(superseded, key=lambda d: d.loaded_at or 0)[-10:]:
            _print(d)
