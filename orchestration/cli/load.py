"""``revloop load``: the loaders only (new extract files into raw.* / quarantine.*)."""

from __future__ import annotations

import argparse
from pathlib import Path

from orchestration.cli.common import EXIT_FAILED, EXIT_OK, absolute_settings


def register(sub: argparse._SubParsersAction) -> None:
    load = sub.add_parser("load", help="load new extract files into raw.* (loaders only)")
    load.set_defaults(func=cmd_load)


def print_raw_counts(warehouse: Path) -> None:
    from orchestration.defs.ingest.assets import table_counts
    from orchestration.defs.ingest.sources import source_entities

    tables = [f"{s}__{e}" for s, es in source_entities().items() for e in es]
    for table, c in table_counts(warehouse, tables).items():
        if c["rows"] or c["quarantined"]:
            print(f"  raw.{table}: {c['rows']} rows, {c['quarantined']} quarantined")


def cmd_load(args: argparse.Namespace) -> int:
    from connectors.load import load_all

    s = absolute_settings()
    report = load_all(s.warehouse, s.extracts)
    print(f"loaded {s.extracts} into {s.warehouse}")
    print(report.summary())
    print_raw_counts(s.warehouse)
    return EXIT_FAILED if report.failures else EXIT_OK
