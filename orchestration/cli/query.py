"""``revloop query SQL``: a read-only look into the warehouse, without a DuckDB CLI install.

Opens the file read-only, so it never takes the writer's lock from a nightly run.
"""

from __future__ import annotations

import argparse
import sys

from orchestration.cli.common import EXIT_FAILED, EXIT_OK
from orchestration.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    query = sub.add_parser("query", help="run one read-only SQL query on the warehouse")
    query.add_argument("sql", help='e.g. "select * from marts.fct_lead_scores limit 5"')
    query.add_argument("--limit", type=int, default=50, help="rows to print (default 50)")
    query.set_defaults(func=cmd_query)


def cmd_query(args: argparse.Namespace) -> int:
    import duckdb

    warehouse = Settings.from_env().warehouse.resolve()
    if not warehouse.exists():
        print(f"no warehouse at {warehouse}: run `revloop run` first", file=sys.stderr)
        return EXIT_FAILED
    with duckdb.connect(str(warehouse), read_only=True) as con:
        relation = con.sql(args.sql)
        if relation is None:  # a statement without a result
            return EXIT_OK
        relation.limit(args.limit).show(max_width=200)
    return EXIT_OK
