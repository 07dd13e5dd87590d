"""`python -m sandbox --port N --db PATH [--extracts DIR]`: run the local CRM sandbox.

A command-line edge: the only place besides `revloop sandbox` that reads the environment
(`REVLOOP_SANDBOX_TOKEN` for the token, `REVLOOP_SANDBOX_DB` for the file). Without
`--extracts` the sandbox starts empty; it never seeds itself from `$REVLOOP_EXTRACTS`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path

from sandbox.server import DEFAULT_PORT, DEFAULT_TOKEN, serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="SQLite file (default: $REVLOOP_SANDBOX_DB, else ./sandbox.sqlite)",
    )
    parser.add_argument(
        "--extracts",
        type=Path,
        default=None,
        help="extracts folder whose salesforce/ pages seed the sandbox (default: no seeding)",
    )
    parser.add_argument("--config-json", default=None, help="SandboxConfig overrides as JSON")
    parser.add_argument("--ready-file", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    serve(
        port=args.port,
        db_path=args.db or Path(os.environ.get("REVLOOP_SANDBOX_DB") or "sandbox.sqlite"),
        extracts=args.extracts,
        token=os.environ.get("REVLOOP_SANDBOX_TOKEN") or DEFAULT_TOKEN,
        config=json.loads(args.config_json) if args.config_json else None,
        ready_file=args.ready_file,
    )


if __name__ == "__main__":
    main()
