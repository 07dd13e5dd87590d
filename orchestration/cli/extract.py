"""``revloop extract-*``: pull a vendor's API incrementally into the extracts folder, in the
same file formats the loaders read."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orchestration.cli.common import EXIT_OK, EXIT_UNAVAILABLE
from orchestration.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    ext = sub.add_parser(
        "extract-salesforce", help="pull Salesforce objects over REST into the extracts folder"
    )
    ext.add_argument("--objects", nargs="+", default=None, help="objects (default: all)")
    ext.add_argument("--out", type=Path, default=None, help="default: $REVLOOP_EXTRACTS")
    ext.set_defaults(func=cmd_extract_salesforce)


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
