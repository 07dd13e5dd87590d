"""``revloop``: the command line of the whole loop (docs: shared/spec/interfaces.md).

Thin by design: each command (one module here) calls the same Python entry points Dagster
calls, and ``revloop run`` executes the Dagster ``nightly`` job in-process. This package is
the environment's edge: it reads the settings once and passes explicit paths down. Secrets
are never printed.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from orchestration.cli import dashboard, extract, files, generate, load, query, run, sandbox, sync
from orchestration.cli.common import EXIT_FAILED, EXIT_OK, EXIT_UNAVAILABLE, crm_endpoints
from orchestration.cli.summary import summarize_run

log = logging.getLogger("revloop")

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_UNAVAILABLE",
    "build_parser",
    "crm_endpoints",
    "main",
    "summarize_run",
]

# The order of `revloop --help`.
COMMAND_MODULES = (generate, load, files, run, sync, query, sandbox, dashboard, extract)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="revloop",
        description="ELT + reverse ETL for B2B revenue teams: load, model, gate, activate.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show INFO logs")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,  # a library may have configured the root logger at import
    )
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the CLI edge: one clear line, the traceback only with -v
        if args.verbose:
            log.exception("revloop %s failed", args.command)
        print(f"revloop {args.command} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
