"""``revloop sandbox``: the bundled local CRM (Salesforce + HubSpot subsets) on 127.0.0.1."""

from __future__ import annotations

import argparse

from orchestration.cli.common import EXIT_OK, absolute_settings


def register(sub: argparse._SubParsersAction) -> None:
    sandbox = sub.add_parser("sandbox", help="serve the bundled local CRM on 127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)
    sandbox.set_defaults(func=cmd_sandbox)


def cmd_sandbox(args: argparse.Namespace) -> int:
    from sandbox.server import serve

    s = absolute_settings()
    print(
        f"local CRM sandbox on http://127.0.0.1:{args.port} (state: {s.sandbox_db}); Ctrl-C stops"
    )
    serve(args.port, s.sandbox_db, s.extracts, s.sandbox_token)
    return EXIT_OK
