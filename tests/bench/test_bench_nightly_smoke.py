"""Smoke test of the nightly benchmark harness (scripts/bench_nightly.py) at ``small``.

Runs the script as a user does, into tmp_path, and checks the structure and invariants of its
report, never its timings (the machine is shared; figures belong in BENCHMARKS.md):

- three runs (full, one new day, nothing new), each a successful ``revloop run``;
- every stage (prepare, load, dbt, checks, publish, sync) has a time in every run;
- the full run loads rows and sends records; the new day loads rows again: the day's new
  files (16 at small: the 2026-11-01 file of GA4, 2 Marketo and 4 ad feeds, and the final
  Salesforce extract of 9 objects) hold new rows; the run with nothing new loads 0 rows and
  sends no record but the dead-letter retries of what the CRM refused the run before;
- the markdown file it updates keeps what was outside its markers, and a second write
  replaces the section instead of adding another.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "bench_nightly.py"
STAGES = ("prepare", "load", "dbt", "checks", "publish", "sync")


@pytest.mark.bench  # opt-in (make bench-smoke): three real runs are too long for make test
@pytest.mark.timeout(1800)  # three real runs at small: ~15 min under a load of 8 on 2 cores
def test_harness_at_small_reports_three_runs_with_every_stage(tmp_path: Path) -> None:
    bench = tmp_path / "BENCHMARKS.md"
    bench.write_text("# Benchmarks\n\nkept above\n\n## Not measured\n\nkept below\n")
    out = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--scale", "small", "--work", str(tmp_path / "w"),
         "--json", str(out), "--benchmarks", str(bench)],
        cwd=tmp_path, env=dict(os.environ), capture_output=True, text=True, timeout=1750,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    report = json.loads(out.read_text())
    assert report["shared_machine"] is True
    assert report["machine"]["cores"] and report["machine"]["duckdb"] != "not installed"
    (result,) = report["results"]
    runs = result["runs"]
    assert [r["name"] for r in runs] == ["full", "one_new_day", "nothing_new"]
    full, day, nothing = runs
    # With nothing new, `revloop run` skips the night in seconds (orchestration/up_to_date.py)
    # unless a record the CRM refused in the new-day run waits in the dead letter: then it
    # runs, and only retries that record.
    skipped = set(nothing["stages_s"]) == {"check"}
    for run in runs:
        assert run["exit"] == 0 and run["ok"], run.get("output_tail")
        if run is nothing and skipped:
            assert run["total_s"] <= 15 and day["records"]["failed"] == 0, run
            continue
        assert set(STAGES) <= set(run["stages_s"]), run["stages_s"]
        assert all(run["stages_s"][s] > 0 for s in STAGES), run["stages_s"]
        assert run["total_s"] >= sum(run["stages_s"].values()) - 1.0  # rounding of each figure
        assert run["peak_rss_mib"] > 50 and run["peak_tree_rss_mib"] >= run["peak_rss_mib"] * 0.5
        assert 50 < run["peak_process_rss_mib"] <= run["peak_tree_rss_mib"], run
        assert run["checks"] > 0 and run["models_built"] > 0 and run["dbt_model_s"]
    assert full["rows_loaded"] > 50_000 and full["records"]["sent"] > 0
    delta = result["delta"]
    assert delta["copied"] >= 7 and "ga4/events_20261101.jsonl" in delta["copied_files"]
    assert day["rows_loaded"] > 0
    if not skipped:
        assert nothing["rows_loaded"] == 0 and nothing["rows_quarantined"] == 0
        # nothing new to send; only what the CRM refused last run is retried from the dead
        # letter (at small, 2026-12-02: one HubSpot contact refused, re-sent here)
        assert nothing["records"]["planned"] <= day["records"]["failed"]
        assert nothing["records"]["sent"] <= day["records"]["failed"]
    text = bench.read_text()
    assert "kept above" in text and text.rstrip().endswith("kept below")
    assert text.count("<!-- bench_nightly:small:begin -->") == 1
    assert "| dbt |" in text and "nothing new" in text

    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import bench_report
    finally:
        sys.path.remove(str(SCRIPT.parent))
    again = bench_report.replace_section(text, "bench_nightly:small", "new body", "## x")
    assert again.count("bench_nightly:small:begin") == 1 and "new body" in again
    assert "| dbt |" not in again and "bench_nightly:intro:begin" in again  # only small's changed
    assert "kept above" in again and again.rstrip().endswith("kept below")
