"""One writer at a time, across runs (finding 6), and a bad file that stops the night without
blocking every night after it (findings 2 and 7), on the real Dagster definitions.

* Every asset that writes the warehouse (loaders, dbt, syncs) is in the pool
  ``revloop_warehouse``; with the shipped ``dagster.yaml`` two runs in two
  processes on one instance execute such steps one after the other, never overlapping
  (before, only steps within one run were serialised by the in-process executor). The
  second run starts while the first holds the slot. Seen while writing this test: two runs
  whose steps claim in the very same instant can both be assigned the one slot of the
  default SQLite instance storage (Dagster 1.13), so the pool is not the only guard; every
  writer also waits for DuckDB's own lock (tests/connectors/test_warehouse_lock.py).
* A file that is mostly bad rows fails its load step, so nothing downstream (dbt, the syncs)
  runs on stale data.
* The sensor asks again for a set of files whose run failed (before, its run key never
  changed, so Dagster skipped it for ever); it waits while that run is still going.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

from orchestration.defs.ingest.assets import WAREHOUSE_POOL, ingest_assets
from orchestration.defs.ingest.sensors import decide, new_extract_files_sensor
from orchestration.resources import RevloopPaths

REPO = Path(__file__).resolve().parents[2]
# A pooled writer. The first one in stays in the pool until the instance shows the other
# run's step waiting for the slot (a condition, bounded at 120 s, not a timer); the second
# one in finds the first's interval on file and leaves at once. Were the pool not honoured,
# both would be inside together and their intervals would overlap.
POOLED_JOB = """
import json, os, sys, time
import dagster as dg

@dg.asset(pool=sys.argv[2])
def writer(context):
    start = time.time()
    open(sys.argv[1] + ".inside", "w").close()  # tells the test this writer holds the slot
    if not os.path.exists(sys.argv[1]):
        storage = context.instance.event_log_storage
        deadline = time.monotonic() + 120
        while (info := storage.get_concurrency_info(sys.argv[2])).pending_step_count < 1:
            assert time.monotonic() < deadline, f"the other run never queued: {info}"
            time.sleep(0.05)
    with open(sys.argv[1], "a") as fh:
        fh.write(json.dumps([start, time.time()]) + "\\n")

assert dg.materialize([writer], instance=dg.DagsterInstance.get()).success
"""


def test_every_warehouse_writer_is_in_the_pool(dbt_manifest: Path) -> None:
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    writers = [
        graph.get(k)
        for k in graph.get_all_asset_keys()
        if graph.get(k).group_name in {"ingest", "staging", "intermediate", "marts", "reverse_etl"}
    ]
    assert len(writers) > 30
    pools = {a.assets_def.node_def.pool for a in writers if a.assets_def.is_executable}
    assert pools == {WAREHOUSE_POOL}


def test_the_shipped_instance_runs_pooled_steps_one_at_a_time(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    instance = dg.DagsterInstance.from_config(str(home))
    assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
    # Create the instance's storage before two processes race to create it at once.
    instance.get_runs(limit=1)
    instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
    out = tmp_path / "intervals.jsonl"
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    logs = [tmp_path / f"run{n}.log" for n in range(2)]
    inside = Path(str(out) + ".inside")
    runs = []
    for n, log in enumerate(logs):
        if n:  # the second run starts once the first holds the slot (a run already going)
            deadline = time.monotonic() + 240
            while not inside.exists() and runs[0].poll() is None:
                assert time.monotonic() < deadline, "the first run never reached its step"
                time.sleep(0.05)
        with log.open("w") as sink:  # a file, not a pipe: a full pipe would stall a run
            runs.append(
                subprocess.Popen(
                    [sys.executable, "-c", POOLED_JOB, str(out), WAREHOUSE_POOL],
                    env=env,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                )
            )
    codes = [r.wait(timeout=300) for r in runs]
    assert codes == [0, 0], "\n".join(log.read_text()[-3000:] for log in logs)
    (a_start, a_end), (b_start, b_end) = sorted(
        json.loads(line) for line in out.read_text().splitlines()
    )
    assert b_start >= a_end  # the second waited for the first to leave the pool


def _bad_marketo_file(extracts: Path) -> None:
    header = "id,email,firstName,lastName,company,title,phone,industry,numberOfEmployees,"
    header += "website,country,leadSource,leadScore,unsubscribed,sfdcLeadId,sfdcContactId,"
    header += "utm_source__c,utm_medium__c,utm_campaign__c,gclid__c,createdAt,updatedAt\n"
    body = "".join(
        f"{i},a{i}@x.jp,T,Y,C,null,null,null,null,null,JP,Web,1,false,null,null,null,null,"
        f"null,null,10/{i:02d}/2026,10/30/2026\n"
        for i in range(1, 21)
    )
    path = extracts / "marketo" / "leads" / "2026-10-30.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + body, encoding="utf-8")


def test_a_mostly_bad_file_fails_the_load_and_nothing_downstream_runs(tmp_path: Path) -> None:
    extracts = tmp_path / "extracts"
    _bad_marketo_file(extracts)
    ran: list[str] = []

    @dg.asset(deps=[dg.AssetKey(["raw", "marketo__leads"])])
    def downstream_sync() -> None:
        ran.append("sync")

    (load_marketo,) = [a for a in ingest_assets if a.node_def.name == "load_marketo"]
    paths = RevloopPaths(
        extracts=str(extracts), warehouse=str(tmp_path / "w.duckdb"), syncs_dir=str(tmp_path)
    )
    result = dg.materialize(
        [load_marketo, downstream_sync], resources={"paths": paths}, raise_on_error=False
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert "20 of 20 rows (100.0%)" in failure.step_failure_data.error.message
    assert "revloop files --ignore" in failure.step_failure_data.error.message
    assert ran == []


def test_the_sensor_asks_again_for_a_failed_set(tmp_path: Path) -> None:
    extracts = tmp_path / "extracts"
    _bad_marketo_file(extracts)
    paths = RevloopPaths(
        extracts=str(extracts), warehouse=str(tmp_path / "w.duckdb"), syncs_dir="."
    )
    res = {"paths": paths}
    with dg.instance_for_test() as instance:
        first = new_extract_files_sensor(dg.build_sensor_context(instance=instance, resources=res))
        assert isinstance(first, dg.RunRequest) and first.tags["revloop/attempt"] == "1"
        cursor = json.dumps({"fingerprint": first.run_key.rsplit("-", 1)[0], "attempt": 0})
        run = instance.add_run(
            dg.DagsterRun(job_name="ingest", tags={"dagster/run_key": first.run_key})
        )
        context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=res)
        waiting = new_extract_files_sensor(context)
        assert isinstance(waiting, dg.SkipReason) and "still going" in str(waiting.skip_message)
        instance.report_run_failed(run)
        again = new_extract_files_sensor(
            dg.build_sensor_context(instance=instance, cursor=cursor, resources=res)
        )
        assert isinstance(again, dg.RunRequest)
        assert again.run_key != first.run_key and again.tags["revloop/attempt"] == "2"


def test_a_changed_set_starts_over() -> None:
    key, state = decide(json.dumps({"fingerprint": "aaa", "attempt": 4}), "bbb", lambda k: True)
    assert (key, state) == ("bbb-0", {"fingerprint": "bbb", "attempt": 0})
