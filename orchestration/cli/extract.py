"""``revloop extract-*``: pull a vendor's API incrementally into the extracts folder, in the
same file formats the loaders read."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from orchestration.cli.common import EXIT_OK, EXIT_UNAVAILABLE, parse_date
from orchestration.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    ext = sub.add_parser(
        "extract-salesforce", help="pull Salesforce objects over REST into the extracts folder"
    )
    ext.add_argument("--objects", nargs="+", default=None, help="objects (default: all)")
    ext.add_argument("--out", type=Path, default=None, help="default: $REVLOOP_EXTRACTS")
    ext.set_defaults(func=cmd_extract_salesforce)
    mkto = sub.add_parser(
        "extract-marketo",
        help="pull Marketo leads and activities over the Bulk Extract API into the extracts folder",
    )
    mkto.add_argument(
        "--entities", nargs="+", default=None, choices=["leads", "activities"], help="default: both"
    )
    mkto.add_argument("--out", type=Path, default=None, help="default: $REVLOOP_EXTRACTS")
    mkto.add_argument(
        "--since",
        type=parse_date,
        default=None,
        help="first pull only: start here (YYYY-MM-DD, UTC; default two years back)",
    )
    mkto.add_argument(
        "--until",
        type=parse_date,
        default=None,
        help="pull up to the start of this day (YYYY-MM-DD, UTC; default now): replays and "
        "backfills end where the run's --as-of does",
    )
    mkto.add_argument(
        "--poll-seconds", type=float, default=30.0, help="longest wait between job status polls"
    )
    mkto.set_defaults(func=cmd_extract_marketo)


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


def cmd_extract_marketo(args: argparse.Namespace) -> int:
    """The environment's edge: MARKETO_* are read here and passed down explicitly."""
    from connectors.extract.marketo_api import ENTITIES, extract_marketo

    s = Settings.from_env()
    if not (s.marketo_base_url and s.marketo_client_id and s.marketo_client_secret):
        print(
            "revloop extract-marketo needs MARKETO_BASE_URL, MARKETO_CLIENT_ID and "
            "MARKETO_CLIENT_SECRET (your instance's REST endpoint and a LaunchPoint custom "
            "service; or `revloop sandbox`: MARKETO_BASE_URL=http://127.0.0.1:8765, "
            "MARKETO_CLIENT_ID=revloop-sandbox, MARKETO_CLIENT_SECRET=<the sandbox token>).",
            file=sys.stderr,
        )
        return EXIT_UNAVAILABLE
    out = (args.out or s.extracts).resolve()
    since = dt.datetime.combine(args.since, dt.time(0, 0), tzinfo=dt.UTC) if args.since else None
    until = dt.datetime.combine(args.until, dt.time(0, 0), tzinfo=dt.UTC) if args.until else None
    counts = extract_marketo(
        out,
        s.marketo_base_url,
        s.marketo_client_id,
        s.marketo_client_secret,
        entities=tuple(args.entities or ENTITIES),
        since=since,
        until=until,
        poll_seconds=args.poll_seconds,
    )
    print(f"extracted Marketo into {out / 'marketo'}")
    for entity, value in sorted(counts.items()):
        print(f"  {entity}: {value['files']} file(s), {value['records']} record(s)")
    return EXIT_OK
