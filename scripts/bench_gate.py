"""Measure the quality gate on a built warehouse: GX suites, monitors, freshness, release
diff, publishing.

    python scripts/bench_gate.py --scale medium              # generate, load, dbt build, gate
    python scripts/bench_gate.py --warehouse WH.duckdb --end-date 2026-10-31   # gate only

Raw suites are timed twice: on the first load's batch (the whole history: the worst case)
and on a "nightly" batch (the newest file of each table, re-tagged as its own batch in this
benchmark's copy, which is what a daily incremental load validates). Marts suites read
their built tables. Every timing includes opening the persistent GX context and updating
Data Docs, as the Dagster checks do. Peak RSS is the process's (GX, DuckDB and Python).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NIGHT = "bench-night"


def _build(scale: str, root: Path, end_date: dt.date, dbt_timeout: float | None) -> Path:
    from connectors.generate import generate
    from connectors.load import load_all

    extracts = root / "extracts"
    t = time.perf_counter()
    generate(extracts, scale=scale, seed=42, truth_dir=root / "truth", end_date=end_date)
    print(f"generate {scale}: {time.perf_counter() - t:.1f} s", flush=True)
    wh = root / "wh.duckdb"
    t = time.perf_counter()
    report = load_all(wh, extracts)
    print(f"load: {report.rows_loaded:,} rows in {time.perf_counter() - t:.1f} s", flush=True)
    shutil.rmtree(extracts)  # only the warehouse is needed from here on
    if dbt_timeout == 0:
        print("dbt build: skipped (--no-dbt)")
        return wh
    t = time.perf_counter()
    dbt = Path(sys.executable).with_name("dbt")
    as_of = f"{end_date} 23:59:59"
    env = {**os.environ, "REVLOOP_WAREHOUSE": str(wh)}
    try:
        proc = subprocess.run(
            [str(dbt), "build", "--exclude-resource-type", "unit_test", "--project-dir",
             "dbt_project", "--profiles-dir", "dbt_project", "--target-path", str(root / "target"),
             "--log-path", str(root / "logs"), "--vars", json.dumps({"as_of": as_of})],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=dbt_timeout,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        print(f"dbt build: stopped after {dbt_timeout:.0f} s (marts only as far as built)")
        return wh
    print(f"dbt build: exit {proc.returncode} in {time.perf_counter() - t:.1f} s", flush=True)
    if proc.returncode:
        print(proc.stdout[-3000:])
    return wh


def _tag_nightly_batch(wh: Path, tables: list[str]) -> dict[str, int]:
    """Re-tag the rows of each table's newest file as batch NIGHT; rows per table."""
    import duckdb

    rows = {}
    with duckdb.connect(str(wh)) as con:
        for table in tables:
            con.execute(
                f"UPDATE {table} SET _batch_id = '{NIGHT}' WHERE _source_file = "
                f"(SELECT max(_source_file) FROM {table})"
            )
            rows[table] = con.execute(
                f"SELECT count(*) FROM {table} WHERE _batch_id = '{NIGHT}'"
            ).fetchone()[0]
    return rows


def _timed(label: str, fn):
    t = time.perf_counter()
    out = fn()
    secs = time.perf_counter() - t
    return secs, out


def gate(wh: Path, end_date: dt.date) -> None:
    from expectations import SUITES, run_suite
    from expectations.freshness import source_freshness
    from expectations.monitors import load_monitors, run_monitors
    from expectations.release import mark_published, prepare_release
    from expectations.suites import PERSON_PAYLOADS
    from orchestration.defs.publish.snapshot import publish_snapshot

    root = wh.parent / "gx"
    as_of = dt.datetime.combine(end_date + dt.timedelta(days=1), dt.time(2), tzinfo=dt.UTC)
    raw = [n for n, s in SUITES.items() if s.scope == "batch"]
    total = 0.0
    print("\n| suite | scope | rows | status | s |\n|---|---|---|---|---|")
    for name in raw:
        secs, r = _timed(name, lambda n=name: run_suite(wh, n, context_root=root, run_name="first"))
        total += secs
        print(f"| {name} | first load | {r.row_count:,} | {r.status} | {secs:.1f} |", flush=True)
    marts_total = 0.0
    for name in [n for n, s in SUITES.items() if s.scope == "table"] + list(PERSON_PAYLOADS):
        secs, r = _timed(name, lambda n=name: run_suite(wh, n, context_root=root, run_name="night"))
        marts_total += secs
        print(f"| {name} | table | {r.row_count:,} | {r.status} | {secs:.1f} |", flush=True)
    monitors = load_monitors()
    m_secs, results = _timed("monitors", lambda: run_monitors(wh, monitors, as_of))
    bad = [r.summary() for r in results if r.findings]
    f_secs, _ = _timed("freshness", lambda: source_freshness(wh, as_of))
    r1, _ = _timed("release", lambda: prepare_release(wh, "bench-1", as_of=as_of))
    snap = wh.parent / "published.duckdb"
    p_secs, published = _timed(
        "publish", lambda: publish_snapshot(wh, snap, "bench-1", as_of=as_of)
    )
    mark_published(wh, "bench-1", snap)
    r2, diff = _timed("release 2", lambda: prepare_release(wh, "bench-2", as_of=as_of))
    night_rows = _tag_nightly_batch(wh, raw)
    night_total = 0.0
    for name in raw:
        secs, r = _timed(
            name,
            lambda n=name: run_suite(wh, n, batch_id=NIGHT, context_root=root, run_name="night"),
        )
        night_total += secs
        print(
            f"| {name} | nightly batch | {night_rows[name]:,} | {r.status} | {secs:.1f} |",
            flush=True,
        )
    print(
        f"\nraw suites, first load: {total:.1f} s; nightly batch: {night_total:.1f} s; "
        f"marts + payload suites: {marts_total:.1f} s"
    )
    print(f"monitors ({len(monitors)}): {m_secs:.1f} s; findings: {len(bad)}")
    for line in bad:
        print(f"  {line[:300]}")
    print(f"freshness: {f_secs:.2f} s")
    print(
        f"release diff: first {r1:.1f} s, second {r2:.1f} s ({len(diff.rows)} figures, "
        f"{len(diff.errors)} over threshold)"
    )
    print(
        f"publish: {p_secs:.1f} s, {len(published.tables)} tables, "
        f"{sum(published.tables.values()):,} rows, {published.bytes / 1e6:.0f} MB"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the gate process: {rss:.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=["small", "medium", "large"])
    parser.add_argument("--warehouse", type=Path, help="a built warehouse (gate only; copied)")
    parser.add_argument("--end-date", type=dt.date.fromisoformat, default=dt.date(2026, 10, 31))
    parser.add_argument("--keep", type=Path, help="keep the built warehouse in this folder")
    parser.add_argument("--dbt-timeout", type=float, help="stop the dbt build after N seconds")
    parser.add_argument(
        "--no-dbt", action="store_true", help="raw only: no dbt build (marts suites not built)"
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench_gate_", dir=args.keep))
    try:
        if args.warehouse:
            wh = root / "wh.duckdb"
            shutil.copy(args.warehouse, wh)
        else:
            timeout = 0 if args.no_dbt else args.dbt_timeout
            wh = _build(args.scale or "medium", root, args.end_date, timeout)
            if args.keep:
                shutil.copy(wh, args.keep / f"built_{args.scale}.duckdb")
        gate(wh, args.end_date)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
