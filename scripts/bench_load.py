"""Measure loader throughput per source on generated sample extracts.

    python scripts/bench_load.py --scale small            # generate into a temp dir, then load
    python scripts/bench_load.py --extracts data/extracts  # load an existing extracts folder

Each source is loaded into a fresh DuckDB file and timed (rows/s counts loaded + quarantined
rows). When the generator's ``truth/malformed_rows.csv`` is present, quarantined rows per
source are compared with it, and a second run checks that nothing is loaded twice.
"""

from __future__ import annotations

import argparse
import csv
import logging
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from connectors.contracts import sources
from connectors.load import load_all, load_source


def _truth_counts(extracts: Path) -> Counter[str] | None:
    truth = extracts.parent / "truth" / "malformed_rows.csv"
    if not truth.exists():
        return None
    with truth.open(encoding="utf-8") as handle:
        return Counter(row["source"] for row in csv.DictReader(handle))


def reconcile(warehouse: Path) -> list[str]:
    """Deliveries whose manifest counts disagree with raw and quarantine (rows_in = raw +
    quarantine, per file and batch: a re-delivered file has one manifest row per delivery)."""
    import duckdb

    from connectors.contracts import load_contracts

    problems: list[str] = []
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        for contract in load_contracts():
            t = contract.table
            if t not in present:  # a source not benchmarked this time (--sources)
                continue
            problems += [
                f"{file}: manifest {rows_in} in / {loaded} loaded / {quarantined} quarantined, "
                f"raw has {raw_n}, quarantine has {q_n}"
                for file, rows_in, loaded, quarantined, raw_n, q_n in con.execute(
                    f"""SELECT m.file, m.rows_in, m.rows_loaded, m.rows_quarantined,
                               coalesce(r.n, 0), coalesce(q.n, 0)
                    FROM raw._manifest m
                    LEFT JOIN (SELECT _source_file, _batch_id, count(*) AS n FROM raw.{t}
                               GROUP BY ALL) r
                        ON r._source_file = m.file AND r._batch_id = m.batch_id
                    LEFT JOIN (SELECT _source_file, _batch_id, count(*) AS n
                               FROM quarantine.{t} GROUP BY ALL) q
                        ON q._source_file = m.file AND q._batch_id = m.batch_id
                    WHERE m.table_name = '{t}' AND m.status = 'loaded'
                      AND (m.rows_in <> m.rows_loaded + m.rows_quarantined
                           OR coalesce(r.n, 0) <> m.rows_loaded
                           OR coalesce(q.n, 0) <> m.rows_quarantined)"""
                ).fetchall()
            ]
    finally:
        con.close()
    return problems


def _cpu() -> float:
    """CPU seconds of this process, all threads (DuckDB's included): steadier than wall time
    on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench(extracts: Path, work: Path, only: list[str] | None = None) -> int:
    warehouse = work / "bench.duckdb"
    expected = _truth_counts(extracts)
    print(
        f"{'source':<14}{'files':>7}{'rows':>10}{'quar.':>7}{'seconds':>9}{'cpu s':>8}"
        f"{'rows/s':>10}"
    )
    status = 0
    total_rows, total_s, total_cpu = 0, 0.0, 0.0
    for source in only or sources():
        started, cpu = time.perf_counter(), _cpu()
        report = load_source(warehouse, extracts, source)
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
        rows = report.rows_loaded + report.rows_quarantined
        total_rows, total_s, total_cpu = total_rows + rows, total_s + seconds, total_cpu + cpu
        print(
            f"{source:<14}{report.files_loaded:>7}{rows:>10}{report.rows_quarantined:>7}"
            f"{seconds:>9.2f}{cpu:>8.1f}{rows / seconds if seconds else 0:>10.0f}"
        )
        if report.failures:
            status = 1
            for failure in report.failures:
                print(f"    FAILED {failure.error}")
        if expected is not None and report.rows_quarantined != expected.get(source, 0):
            status = 1
            print(f"    quarantined {report.rows_quarantined} != truth {expected.get(source, 0)}")
    print(
        f"{'all':<14}{'':>7}{total_rows:>10}{'':>7}{total_s:>9.2f}{total_cpu:>8.1f}"
        f"{total_rows / total_s:>10.0f}"
    )
    problems = reconcile(warehouse)
    print(f"reconcile: {len(problems)} file(s) where rows_in != raw + quarantine (expected 0)")
    for problem in problems[:20]:
        print(f"    {problem}")
    if problems:
        status = 1
    started = time.perf_counter()
    if only:  # the sources benchmarked, not the others (they were never loaded here)
        again = load_source(warehouse, extracts, only[0])
        for source in only[1:]:
            again.merge(load_source(warehouse, extracts, source))
    else:
        again = load_all(warehouse, extracts)
    print(
        f"re-run: {again.files_loaded} file(s), {again.rows_loaded} row(s) loaded "
        f"in {time.perf_counter() - started:.2f}s (expected 0)"
    )
    if again.rows_loaded:
        status = 1
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small", help="generator scale (small|medium|large)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--extracts", type=Path, help="load this folder instead of generating")
    parser.add_argument("--sources", nargs="+", default=None, help="only these sources")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="revloop-bench-") as tmp:
        work = Path(tmp)
        extracts = args.extracts
        if extracts is None:
            from connectors.generate import REFERENCE_END_DATE, generate

            extracts = work / "extracts"
            started = time.perf_counter()
            generate(
                extracts,
                scale=args.scale,
                seed=args.seed,
                truth_dir=work / "truth",
                end_date=REFERENCE_END_DATE,
            )
            print(f"generated --scale {args.scale} in {time.perf_counter() - started:.1f}s")
        return bench(Path(extracts), work, args.sources)


if __name__ == "__main__":
    sys.exit(main())
