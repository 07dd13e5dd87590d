"""``revloop dashboard``: the RevOps dashboard (a later issue)."""

from __future__ import annotations

import argparse
import sys

from orchestration.cli.common import EXIT_UNAVAILABLE


def register(sub: argparse._SubParsersAction) -> None:
    dash = sub.add_parser("dashboard", help="serve the RevOps dashboard (not yet available)")
    dash.add_argument("--port", type=int, default=8050)
    dash.set_defaults(func=cmd_dashboard)


def cmd_dashboard(args: argparse.Namespace) -> int:
    print(
        "revloop dashboard is not yet available in this version; query the marts.* tables "
        "in the warehouse (read-only) meanwhile.",
        file=sys.stderr,
    )
    return EXIT_UNAVAILABLE
