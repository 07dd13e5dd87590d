"""Time the production ``dbt build`` (models, seeds, data tests; no unit tests) on a sample.

Generates a sample (or reuses one), loads it once into a raw warehouse, then copies that
warehouse for every build so each build starts from the same loaded state. Prints the
wall time of the build and the slowest models from dbt's run_results.json.

    python scripts/bench_dbt_build.py --scale small
    python scripts/bench_dbt_build.py --extracts /tmp/x/extracts --raw /tmp/x/loaded.duckdb
    python scripts/bench_dbt_build.py --raw /tmp/x/loaded.duckdb --project-dir /tmp/old/dbt_project

``--project-dir`` lets the same loaded data be built by another checkout of the project
(the "before" figures of BENCHMARKS.md were taken that way).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

log = logging.getLogger("bench_dbt_build")

REPO = Path(__file__).resolve().parents[1]
AS_OF = "2026-10-31 23:59:59"  # the reference world's as-of instant (REFERENCE_END_DATE)


class BenchError(RuntimeError):
    """A step of the benchmark failed; the message says which."""


def dbt_build(project_dir: Path, warehouse: Path, target: Path, select: str | None) -> float:
    """One ``dbt build`` into ``warehouse``; returns its wall time in seconds."""
    dbt = Path(sys.executable).with_name("dbt")
    args = [
        str(dbt),
        "build",
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        json.dumps({"as_of": AS_OF}),
    ]
    if select:
        args += ["--select", select]
    env = dict(os.environ, REVLOOP_WAREHOUSE=str(warehouse), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    started = time.perf_counter()
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise BenchError(f"dbt build into {warehouse} failed:\n{result.stdout[-4000:]}")
    return elapsed


def slowest(target: Path, n: int) -> list[tuple[str, float]]:
    """The ``n`` slowest nodes of the last run (name, seconds)."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    timed = [(r["unique_id"].split(".")[-1], float(r["execution_time"])) for r in results]
    return sorted(timed, key=lambda t: -t[1])[:n]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--extracts", type=Path, default=None, help="reuse generated extracts")
    parser.add_argument("--raw", type=Path, default=None, help="loaded raw warehouse (kept)")
    parser.add_argument("--project-dir", type=Path, default=REPO / "dbt_project")
    parser.add_argument("--select", default=None, help="dbt selector (default: everything)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--top", type=int, default=8, help="slowest nodes to print")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    tmp = tempfile.TemporaryDirectory(prefix="revloop-dbt-bench-")
    work = Path(tmp.name)
    raw = args.raw or work / "loaded.duckdb"
    if not raw.exists():
        extracts = args.extracts
        if extracts is None:
            from connectors.generate import REFERENCE_END_DATE, generate

            extracts = work / "extracts"
            generate(extracts, args.scale, args.seed, work / "truth", end_date=REFERENCE_END_DATE)
        from connectors.load import load_all

        log.info("loading %s into %s", extracts, raw)
        load_all(raw, extracts)
    for run in range(args.runs):
        warehouse = work / f"build_{run}.duckdb"
        shutil.copyfile(raw, warehouse)
        target = work / f"target_{run}"
        seconds = dbt_build(args.project_dir.resolve(), warehouse, target, args.select)
        print(f"run {run + 1}: dbt build {seconds:.1f} s")
        for name, node_s in slowest(target, args.top):
            print(f"    {node_s:7.1f} s  {name}")
        warehouse.unlink()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
