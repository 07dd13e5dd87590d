"""`python -m reverse_etl.sandbox --port N --db PATH --extracts DIR`: run the local CRM sandbox."""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path

from reverse_etl.sandbox.server import DEFAULT_PORT, default_db_path, serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m reverse_etl.sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (REVLOOP_SANDBOX_DB)")
    parser.add_argument(
        "--extracts",
        type=Path,
        default=Path(os.environ["REVLOOP_EXTRACTS"])
        if os.environ.get("REVLOOP_EXTRACTS")
        else None,
        help="extracts folder whose salesforce/ pages seed the sandbox (REVLOOP_EXTRACTS)",
    )
    parser.add_argument(
        "--token", default=None, help="bearer token (default: REVLOOP_SANDBOX_TOKEN)"
    )
    parser.add_argument("--config-json", default=None, help="SandboxConfig overrides as JSON")
    parser.add_argument("--ready-file", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    serve(
        port=args.port,
        db_path=args.db or default_db_path(),
        extracts=args.extracts,
        token=args.token,  # None: REVLOOP_SANDBOX_TOKEN or the documented default
        config=json.loads(args.config_json) if args.config_json else None,
        ready_file=args.ready_file,
    )


if __name__ == "__main__":
    main()
