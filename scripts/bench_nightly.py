"""Time the nightly `revloop run` as a user runs it: a full run, one new day, nothing new.

    python scripts/bench_nightly.py --scale small|medium|large      # or: make bench-nightly
    python scripts/bench_nightly.py --series small,medium            # several scales, exponents
    python scripts/bench_nightly.py --scale small --json out.json --benchmarks /tmp/B.md

For each scale, in a temporary folder (never the repository's data/ or warehouse/):

1. ``revloop generate`` (pinned end date: the same files on any day);
2. ``revloop run --as-of 2026-10-31T23:59:59Z`` into a scratch warehouse: the full run;
3. one new day: the next night's files (``--delta``, below) copied into the extracts
   folder, then ``revloop run --as-of 2026-11-01T23:59:59Z``;
4. the same run again with nothing new.

Per run: wall time per stage (prepare, load, dbt, checks, publish, sync: the run's own
closing ``time:`` line), every dbt model over 1 s (the ``Execution Duration`` dagster-dbt
records on each materialization), rows loaded, checks, records sent (the run's Dagster
materializations), and peak memory: the whole process tree (the CLI, dbt, the sandbox)
and its largest single process, both sampled every 0.5 s from /proc (``ru_maxrss`` from
``wait4`` is kept in the JSON only: it counts pages shared with this harness).

``--delta slice`` (default): ONE world, ``revloop generate --end-date 2026-11-01``, delivered
night by night as the vendors would have sent it (``connectors/generate/nights.py``, the
same slicing as the incremental = full-refresh test): step 1's extracts are the files sent
by the night of 10-31 (GA4 and the ads from a pull of that world at that night, Salesforce
from the pull at midnight that ``salesforce_nightly_pull`` cuts), the new
day adds the 11-01 files and re-sends the GA4 and ad days that changed since (late events,
restatements). Step 1 then generates 11-01's world instead of 10-31's. ``day`` and
``changed`` are the older two-world deltas:
the generator draws a new world for every end date (a 730-day window ending on
it), so a world ending one day later rewrites almost every file (small: 5,051 of 6,121 files
changed, 1,080 new names, 1,070 gone). ``day`` (default) copies the new files dated on or
after the new day (the 2026-11-01 daily files and the final Salesforce extract) plus the
previous day's GA4 file, whose bytes changed: a re-delivered GA4 day under the same name.
A new Salesforce page is cut to the records changed after the newest extract of that
object already delivered (what an incremental SOQL pull since the last one returns): the
redrawn world's final extract also re-sends versions of 10-31 with other field values, which
the raw gate rightly refuses (same Id and SystemModstamp, different values), and that would
stop the run before dbt. ``changed`` copies every new or changed file as it is, which with
this generator is a re-delivery of two years, not a nightly delta. Whether the loader picked
the re-delivered GA4 file up is checked in ``raw._manifest`` and reported.

The results go between this script's markers in BENCHMARKS.md (one section per scale, the
rest of the file kept) and, with ``--json``, to a file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import bench_report

from orchestration.cli.generate import scale_type

REVLOOP = str(Path(sys.executable).with_name("revloop"))
STAGES = ("prepare", "load", "dbt", "checks", "publish", "sync")
FULL_END, NEXT_END = dt.date(2026, 10, 31), dt.date(2026, 11, 1)
RUNS = (
    ("full", "2026-10-31T23:59:59Z"),
    ("one_new_day", "2026-11-01T23:59:59Z"),
    ("nothing_new", "2026-11-01T23:59:59Z"),
)
SLOW_MODEL_S = 1.0
NO_RECORDS = {"sent": 0, "planned": 0, "unchanged": 0}
# the cells of a run that did not happen (an interrupted benchmark)
NOT_RUN = {
    "name": "not run",
    "stages_s": {},
    "total_s": None,
    "wall_s": None,
    "exit": "–",
    "ok": True,
    "peak_rss_mib": 0,
    "peak_tree_rss_mib": 0,
    "peak_process_rss_mib": 0,
    "load_avg_1min": ["–", "–"],
}
HEADING = "## Nightly run (`python scripts/bench_nightly.py --scale small|medium|large`)"
INTRO = """\
Generate (pinned end date), a full `revloop run`, one new day of extracts plus one
re-delivered GA4 day, then a run with nothing new; each run a `revloop` subprocess into a
scratch warehouse. Stage times are the run's own `time:` line; model times dagster-dbt's
`Execution Duration`; peak memory the sampled process tree and its largest process. The
machine is shared with other engineers' jobs: figures carry their load average and vary
with it (±30 % or more)."""
DATE_IN_NAME = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


# ---------------------------------------------------------------------------- processes
def _tree_rss_kb(root: int) -> tuple[int, int, str]:
    """Resident memory of ``root`` and all its descendants now (kB, from /proc): the tree's
    sum, and the largest single process with its command name."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            head, tail = stat.rsplit(")", 1)
            fields = tail.split()
            pid = int(entry.name)
            parents[pid] = int(fields[1])
            rss[pid] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
            names[pid] = head.split("(", 1)[1]
        except (OSError, ValueError, IndexError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    largest = max(tree, key=lambda pid: rss.get(pid, 0))
    return sum(rss.get(pid, 0) for pid in tree), rss.get(largest, 0), names.get(largest, "?")


class TreeSampler(threading.Thread):
    """Samples a process tree's resident memory until stopped: ``peak_kb`` the highest sum,
    ``process_peak_kb`` / ``process_name`` the highest single process. (``wait4``'s
    ``ru_maxrss`` is no substitute for the latter: a child's count includes the pages it
    shared with this harness before ``exec``, so after an in-process generation every run
    "peaked" at the harness's own size.)"""

    def __init__(self, pid: int, every_s: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.every_s, self.peak_kb = pid, every_s, 0
        self.process_peak_kb, self.process_name = 0, "?"
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            total, largest, name = _tree_rss_kb(self.pid)
            self.peak_kb = max(self.peak_kb, total)
            if largest > self.process_peak_kb:
                self.process_peak_kb, self.process_name = largest, name
            self._stop_event.wait(self.every_s)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def run_measured(cmd: list[str], env: dict[str, str], log: Path) -> dict:
    """Run ``cmd`` with its output in ``log``: exit code, wall s, peak RSS (MiB) of its largest
    process (``wait4``: this child and its descendants only) and of its tree (sampled)."""
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "exit": proc.returncode,
        "wall_s": round(time.perf_counter() - started, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "peak_tree_rss_mib": round(sampler.peak_kb / 1024, 1),
        "peak_process_rss_mib": round(sampler.process_peak_kb / 1024, 1),
        "peak_process_name": sampler.process_name,
        "load_avg_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def clean_env(work: Path) -> dict[str, str]:
    """Only what a new user's shell has, plus this benchmark's paths: nothing of the caller's
    REVLOOP_*/CRM/DAGSTER_HOME settings leaks in."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
        "LANG": "C.UTF-8",
        "TMPDIR": str(work / "tmp"),
        "REVLOOP_EXTRACTS": str(work / "data" / "extracts"),
        "REVLOOP_WAREHOUSE": str(work / "warehouse" / "revloop.duckdb"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


# ---------------------------------------------------------------------------- extracts
def _files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}


def _same(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    return _sha256(a) == _sha256(b)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _file_day(relative: str) -> dt.date | None:
    m = DATE_IN_NAME.search(relative.rsplit("/", 1)[-1])
    return dt.date(int(m[1]), int(m[2]), int(m[3])) if m else None


def plan_delta(old: Path, new: Path, policy: str, new_day: dt.date) -> dict:
    """Compare two generated extracts folders and choose what to copy (see ``--delta``)."""
    before, after = _files(old), _files(new)
    added = sorted(set(after) - set(before))
    gone = sorted(set(before) - set(after))
    changed = sorted(k for k in set(after) & set(before) if not _same(before[k], after[k]))
    previous = (new_day - dt.timedelta(days=1)).strftime("%Y%m%d")
    redelivered = [k for k in changed if k == f"ga4/events_{previous}.jsonl"]
    if policy == "changed":
        copy = added + changed
    else:
        copy = [k for k in added if (_file_day(k) or dt.date.min) >= new_day] + redelivered
    return {
        "policy": policy,
        "files_before": len(before),
        "files_after": len(after),
        "new": len(added),
        "changed": len(changed),
        "gone": len(gone),
        "redelivered": redelivered,
        "copied": sorted(copy),
        "copied_bytes": sum(after[k].stat().st_size for k in copy),
        "checksums": {k: _sha256(after[k]) for k in redelivered},
    }


def first_night(scale: str, world: Path, extracts: Path, pull_dir: Path) -> None:
    """``--delta slice``: the extracts as the vendors had sent them by the night of FULL_END,
    from the one world ending NEXT_END (connectors/generate/nights.py): files dated up to
    then, GA4 and the ads from a pull of that world at that night."""
    from connectors.generate import generate
    from connectors.generate.nights import (
        deliver,
        end_of,
        files,
        night_delivery,
        salesforce_nightly_pull,
    )

    generate(
        pull_dir / "extracts", scale, 42, pull_dir / "truth",
        end_date=NEXT_END, delivered_at=end_of(FULL_END),
    )  # fmt: skip
    final = files(world)
    night = night_delivery(final, files(pull_dir / "extracts"), FULL_END)
    night.update(salesforce_nightly_pull(final, FULL_END, pull_dir / "salesforce-pull"))
    deliver(night, extracts)
    shutil.rmtree(pull_dir)


def next_night(world: Path, extracts: Path) -> dict:
    """``--delta slice``: deliver the night of NEXT_END (its new files, and GA4 / ad days
    re-sent with their late events and restatements) into ``extracts``; the delta's figures
    in the shape ``plan_delta`` gives."""
    from connectors.generate.nights import deliver, files, night_delivery

    before = files(extracts)
    night = night_delivery(files(world), files(world), NEXT_END)
    copied = deliver(night, extracts)
    changed = [rel for rel in copied if rel in before]
    redelivered = [rel for rel in changed if rel.startswith("ga4/")]
    return {
        "policy": "slice",
        "files_before": len(before),
        "files_after": len(before) + len(copied) - len(changed),
        "new": len(copied) - len(changed),
        "changed": len(changed),
        "gone": 0,
        "redelivered": redelivered,
        "copied": copied,
        "copied_bytes": sum(night[rel].stat().st_size for rel in copied),
        "checksums": {rel: _sha256(night[rel]) for rel in redelivered},
    }


def _stamp(text: object) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return None


def _salesforce_since(page: Path, target: Path, since: dt.datetime) -> tuple[int, int]:
    """Write the page with only the records changed after ``since`` (the previous pull):
    what an incremental SOQL pull returns. (records kept, records in the page)"""
    body = json.loads(page.read_text(encoding="utf-8"))
    records = body["records"]
    kept = []
    for record in records:
        stamp = _stamp(record.get("SystemModstamp") or record.get("CreatedDate"))
        if stamp is not None and stamp > since:
            kept.append(record)
    body["records"], body["totalSize"] = kept, len(kept)
    target.write_text(json.dumps(body, ensure_ascii=False, separators=(",", ":")), "utf-8")
    return len(kept), len(records)


def apply_delta(new: Path, extracts: Path, copied: list[str], trim: bool) -> dict[str, list[int]]:
    """Copy the delta; a Salesforce page keeps only what changed after that object's newest
    extract already delivered (see ``--delta``). Returns {page: [kept, of]} for those."""
    trimmed: dict[str, list[int]] = {}
    for relative in copied:
        target = extracts / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        folder = target.parent
        previous = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
        if trim and relative.startswith("salesforce/") and previous:
            since = dt.datetime.strptime(previous[-1][:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
            trimmed[relative] = list(_salesforce_since(new / relative, target, since))
        else:
            shutil.copy2(new / relative, target)
    return trimmed


# ---------------------------------------------------------------------------- a run's figures
def parse_run_output(text: str) -> dict:
    """From ``revloop run``'s closing lines: OK/FAILED, the run id, seconds per stage."""
    out: dict = {"ok": "revloop run: OK" in text, "stages_s": {}, "total_s": None}
    if m := re.search(r"run id: ([0-9a-f-]{36})", text):
        out["run_id"] = m[1]
    if m := re.search(r"^\s*time: (.*)$", text, re.MULTILINE):
        for part in m[1].split(" · "):
            name, _, secs = part.strip().rpartition(" ")[0].partition(" ")
            if name == "total":
                out["total_s"] = float(secs)
            elif name:
                out["stages_s"][name] = float(secs)
    return out


def dagster_figures(home: Path, run_id: str) -> dict:
    """Rows loaded, checks, records synced and dbt model seconds of one recorded run."""
    from dagster import DagsterEventType, DagsterInstance

    loaded = quarantined = 0
    synced = {"planned": 0, "sent": 0, "failed": 0, "unchanged": 0}
    models: dict[str, float] = {}
    checks = passed = 0
    tests_s = 0.0
    slow_tests: dict[str, float] = {}
    with DagsterInstance.from_config(str(home)) as instance:
        records = instance.all_logs(run_id)
        first = records[0].timestamp if records else 0.0
        started = next(
            (r.timestamp for r in records if r.dagster_event_type == DagsterEventType.RUN_START),
            first,
        )
        for record in records:
            event = record.dagster_event
            if event is None:
                continue
            if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                mat = event.event_specific_data.materialization
                meta = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
                step = event.step_key or ""
                if step.startswith("load_"):
                    loaded += int(meta.get("rows_loaded", 0))
                    quarantined += int(meta.get("rows_quarantined", 0))
                elif step == "revloop_dbt" and "Execution Duration" in meta:
                    models[mat.asset_key.path[-1]] = round(float(meta["Execution Duration"]), 2)
                elif "sent" in meta and "planned" in meta:
                    for k in synced:
                        synced[k] += int(meta.get(k, 0))
            elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                checks += 1
                passed += bool(event.event_specific_data.passed)
                meta = event.event_specific_data.metadata or {}
                if "Execution Duration" in meta:  # a dbt test
                    took = float(getattr(meta["Execution Duration"], "value", 0.0))
                    tests_s += took
                    if took > SLOW_MODEL_S:
                        data = event.event_specific_data
                        name = f"{data.asset_key.path[-1]}: {data.check_name}"
                        slow_tests[name] = round(took, 2)
    return {
        "rows_loaded": loaded,
        "rows_quarantined": quarantined,
        "records": synced,
        "checks": checks,
        "checks_passed": passed,
        "models_built": len(models),
        "dbt_model_s": models,
        "dbt_tests_s": round(tests_s, 1),
        "dbt_slow_tests_s": slow_tests,
        # before the first step Dagster writes one "planned" event per asset and per check
        "startup_s": round(started - first, 1),
        "startup_events": sum(1 for r in records if r.timestamp < started),
        "dagster_events": len(records),
    }


def redelivery_loaded(warehouse: Path, checksums: dict[str, str]) -> dict[str, bool]:
    """Per re-delivered file: did the loader record (= load) the new bytes?"""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        seen = {
            (f, c) for f, c in con.execute("select file, checksum from raw._manifest").fetchall()
        }
    return {name: (name, checksum) in seen for name, checksum in checksums.items()}


# ---------------------------------------------------------------------------- one scale
def bench_scale(
    scale: str, work: Path, policy: str, checkpoint: Callable[[dict], None] = lambda r: None
) -> dict:
    """Generate, then the three runs; ``checkpoint`` gets the result after each run, so an
    interrupted benchmark still leaves the runs it finished."""
    env = clean_env(work)
    (work / "tmp").mkdir(parents=True, exist_ok=True)
    logs = work / "bench-logs"
    logs.mkdir(parents=True, exist_ok=True)
    extracts, nxt = Path(env["REVLOOP_EXTRACTS"]), work / "next" / "extracts"
    result: dict = {"scale": scale, "delta_policy": policy}
    world = work / "world" / "extracts"  # slice: the one world ending NEXT_END, as generated
    gen = run_measured(
        [
            REVLOOP,
            "generate",
            "--scale",
            scale,
            "--end-date",
            str(NEXT_END if policy == "slice" else FULL_END),
            "--out",
            str(world if policy == "slice" else extracts),
        ],
        env,
        logs / "generate.log",
    )
    _require(gen, logs / "generate.log")
    result["generate"] = gen
    if policy == "slice":
        first_night(scale, world, extracts, work / "pull")
    result["sample"] = _sample_size(extracts)
    print(f"[{scale}] generated in {gen['wall_s']} s: {result['sample']}", flush=True)
    runs: list[dict] = []
    result["runs"] = runs
    for i, (name, as_of) in enumerate(RUNS):
        if name == "one_new_day" and policy == "slice":
            delta = next_night(world, extracts)
            result["delta"] = {
                **delta,
                "copied": len(delta["copied"]),
                "copied_files": delta["copied"][:40],
            }
            print(
                f"[{scale}] next night: {delta['new']} new and {delta['changed']} re-delivered "
                f"file(s) ({delta['copied_bytes'] / 1e6:.1f} MB), GA4 days re-delivered: "
                f"{', '.join(delta['redelivered']) or 'none'}",
                flush=True,
            )
        elif name == "one_new_day":
            gen2 = run_measured(
                [
                    REVLOOP,
                    "generate",
                    "--scale",
                    scale,
                    "--end-date",
                    str(NEXT_END),
                    "--out",
                    str(nxt),
                ],
                env,
                logs / "generate-next.log",
            )
            _require(gen2, logs / "generate-next.log")
            delta = plan_delta(extracts, nxt, policy, NEXT_END)
            delta["salesforce_trimmed"] = apply_delta(
                nxt, extracts, delta["copied"], trim=policy == "day"
            )
            shutil.rmtree(nxt.parent)  # only the copied files are needed (large: ~6 GB)
            result["delta"] = {
                **delta,
                "copied": len(delta["copied"]),
                "copied_files": delta["copied"][:40],
            }
            print(
                f"[{scale}] next day: {delta['new']} new, {delta['changed']} changed, "
                f"{delta['gone']} gone file names; copied {len(delta['copied'])} "
                f"({delta['copied_bytes'] / 1e6:.1f} MB)",
                flush=True,
            )
        log = logs / f"run-{i + 1}-{name}.log"
        measured = run_measured([REVLOOP, "run", "--as-of", as_of], env, log)
        text = log.read_text(encoding="utf-8", errors="replace")
        parsed = parse_run_output(text)
        run = {"name": name, "as_of": as_of, **measured, **parsed}
        if parsed.get("run_id"):
            home = Path(env["REVLOOP_WAREHOUSE"]).parent / "dagster_home"
            run.update(dagster_figures(home, parsed["run_id"]))
        if name == "one_new_day" and delta["checksums"]:
            run["redelivery_loaded"] = redelivery_loaded(
                Path(env["REVLOOP_WAREHOUSE"]), delta["checksums"]
            )
        if measured["exit"] != 0 or not parsed["ok"]:
            run["output_tail"] = text[-3000:]
        runs.append(run)
        checkpoint(result)
        print(
            f"[{scale}] run {i + 1} ({name}): exit {measured['exit']}, {measured['wall_s']} s, "
            f"stages {parsed['stages_s']}, rows {run.get('rows_loaded')}, "
            f"sent {run.get('records', {}).get('sent')}, peak tree {measured['peak_tree_rss_mib']} "
            f"MiB (largest process {measured['peak_process_rss_mib']} MiB, "
            f"{measured['peak_process_name']}), load {measured['load_avg_1min']}",
            flush=True,
        )
    return result


def _require(measured: dict, log: Path) -> None:
    if measured["exit"] != 0:
        sys.exit(f"failed (exit {measured['exit']}), see {log}:\n{log.read_text()[-3000:]}")


def _sample_size(extracts: Path) -> dict:
    files = _files(extracts)
    ga4 = [p for k, p in files.items() if k.startswith("ga4/")]
    events = 0
    for path in ga4:
        with path.open("rb") as f:
            events += sum(block.count(b"\n") for block in iter(lambda f=f: f.read(1 << 20), b""))
    return {
        "files": len(files),
        "bytes": sum(p.stat().st_size for p in files.values()),
        "ga4_events": events,
    }


# ---------------------------------------------------------------------------- report
def _s(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f} s" if value < 120 else f"{value:.0f} s ({value / 60:.1f} min)"


def _outside(run: dict) -> str:
    """The run's total minus its stages: time no stage line accounts for."""
    if run["total_s"] is None:
        return "–"
    return _s(max(run["total_s"] - sum(run["stages_s"].values()), 0.0))


def _delta_text(delta: dict | None, picked_text: str) -> str:
    if delta is None:
        return "One new day: not reached."
    if delta["policy"] == "slice":
        return (
            "One new day (`--delta slice`: one world ending 2026-11-01, delivered as the vendors "
            f"would have sent it by each night): {delta['new']:,} new and {delta['changed']:,} "
            f"re-delivered files ({delta['copied_bytes'] / 1e6:,.1f} MB); re-delivered GA4 "
            f"days: {', '.join(delta['redelivered']) or 'none'}{picked_text}."
        )
    trimmed = delta.get("salesforce_trimmed")
    cut = (
        f", of which {len(trimmed)} Salesforce pages cut to the "
        f"{sum(k for k, _ in trimmed.values()):,} of {sum(n for _, n in trimmed.values()):,} "
        "records changed after the last extract"
        if trimmed is not None
        else ""
    )
    return (
        f"One new day (`--delta {delta['policy']}`): the world ending 2026-11-01 has "
        f"{delta['new']:,} new, {delta['changed']:,} changed and {delta['gone']:,} gone file "
        f"names against the one ending 2026-10-31; copied {delta['copied']:,} files "
        f"({delta['copied_bytes'] / 1e6:,.1f} MB){cut}; re-delivered GA4 "
        f"day: {', '.join(delta['redelivered']) or 'none'}{picked_text}."
    )


def render_scale(r: dict, when: str) -> str:
    runs = r["runs"] + [NOT_RUN] * (len(RUNS) - len(r["runs"]))
    records = "{0[sent]:,} / {0[planned]:,} / {0[unchanged]:,}"
    rows = ["| | full run | one new day | nothing new |", "|---|---|---|---|"]
    cells: list[tuple[str, object]] = [
        *((stage, lambda x, st=stage: _s(x["stages_s"].get(st))) for stage in STAGES),
        (
            "in dbt: models / tests (sums of dagster-dbt's durations)",
            lambda x: f"{_s(sum(x.get('dbt_model_s', {}).values()))} / {_s(x.get('dbt_tests_s'))}",
        ),
        ("outside the stages (job start-up, between steps)", _outside),
        (
            "of which Dagster's run start (events written before the first step)",
            lambda x: (
                f"{_s(x.get('startup_s'))} ({x.get('startup_events', '–'):,} events)"
                if "startup_s" in x
                else "–"
            ),
        ),
        ("**total (the run's own)**", lambda x: f"**{_s(x['total_s'])}**"),
        ("wall, process start to exit", lambda x: _s(x["wall_s"])),
        (
            "peak RSS, process tree / largest process (sampled)",
            lambda x: (
                f"{x['peak_tree_rss_mib']:,.0f} / "
                + (
                    f"{x['peak_process_rss_mib']:,.0f} MiB ({x.get('peak_process_name', '?')})"
                    if x.get("peak_process_rss_mib")
                    else f"{x['peak_rss_mib']:,.0f} MiB (ru_maxrss)"
                )
            ),
        ),
        (
            "rows loaded (quarantined)",
            lambda x: f"{x.get('rows_loaded', 0):,} ({x.get('rows_quarantined', 0):,})",
        ),
        (
            "records sent / planned / unchanged",
            lambda x: records.format(x.get("records") or NO_RECORDS),
        ),
        ("checks passed", lambda x: f"{x.get('checks_passed', 0)}/{x.get('checks', 0)}"),
        ("dbt models/seeds built", lambda x: str(x.get("models_built", 0))),
        ("load average (1 min), start → end", lambda x: "{} → {}".format(*x["load_avg_1min"])),
        ("exit", lambda x: str(x["exit"]) + ("" if x["ok"] else " (FAILED)")),
    ]
    for label, cell in cells:
        rows.append(
            f"| {label} | " + " | ".join("–" if x is NOT_RUN else cell(x) for x in runs) + " |"
        )
    slow = sorted(
        {m for x in runs for m, s in x.get("dbt_model_s", {}).items() if s > SLOW_MODEL_S},
        key=lambda m: -runs[0].get("dbt_model_s", {}).get(m, 0),
    )
    model_rows = ["| dbt model or test (> 1 s in any run) | full run | one new day | nothing new |",
                  "|---|---|---|---|"]  # fmt: skip
    for m in slow:
        model_rows.append(
            f"| `{m}` | " + " | ".join(_s(x.get("dbt_model_s", {}).get(m)) for x in runs) + " |"
        )
    slow_tests = sorted(
        {t for x in runs for t, s in x.get("dbt_slow_tests_s", {}).items()},
        key=lambda t: -runs[0].get("dbt_slow_tests_s", {}).get(t, 0),
    )
    for t in slow_tests:
        model_rows.append(
            f"| test `{t}` | "
            + " | ".join(_s(x.get("dbt_slow_tests_s", {}).get(t)) for x in runs)
            + " |"
        )
    sample, gen, delta = r["sample"], r["generate"], r.get("delta")
    full, day, nothing = (x["total_s"] or x["wall_s"] for x in runs)
    ratio = (
        f"One new day / full run: **{100 * day / full:.0f} %** (target ≤ 10 %); nothing new: "
        f"**{_s(nothing)}** (target ≤ 15 s)."
        if full and day and nothing
        else "Not every run finished: no ratios."
    )
    picked = runs[1].get("redelivery_loaded", {})
    picked_text = (
        "; loaded by the second run: "
        + ", ".join(
            f"{k} {'yes' if v else 'NO (skipped: same file name already loaded)'}"
            for k, v in picked.items()
        )
        if picked
        else ""
    )
    gen_peak = f" (peak RSS {gen['peak_rss_mib']:,.0f} MiB)" if gen.get("peak_rss_mib") else ""
    return "\n".join(
        [
            f"### {r['scale']} — measured {when}",
            "",
            f"Command: `nice -n 10 make bench-nightly SCALE={r['scale']}`. Sample: "
            f"{sample['ga4_events']:,} GA4 events, {sample['files']:,} files, "
            f"{sample['bytes'] / 1e6:,.0f} MB; generated in {_s(gen['wall_s'])}{gen_peak}.",
            _delta_text(delta, picked_text),
            "",
            *rows,
            "",
            ratio,
            "",
            *(model_rows if slow or slow_tests else ["No dbt model or test took over 1 s."]),
        ]
    )


def render_series(results: list[dict]) -> str:
    """Growth exponents between consecutive scales: log(cost ratio) / log(size ratio)."""
    lines = [
        "| from → to | GA4 events ratio | full run: time ratio, exponent | "
        "one new day: time ratio, exponent | peak RSS ratio |",
        "|---|---|---|---|---|",
    ]
    for a, b in zip(results, results[1:], strict=False):
        n = b["sample"]["ga4_events"] / a["sample"]["ga4_events"]
        cells = []
        for i in (0, 1):
            ta = a["runs"][i]["total_s"] or a["runs"][i]["wall_s"]
            tb = b["runs"][i]["total_s"] or b["runs"][i]["wall_s"]
            cells.append(f"{tb / ta:.1f}x, {math.log(tb / ta) / math.log(n):.2f}")
        mem = b["runs"][0]["peak_tree_rss_mib"] / a["runs"][0]["peak_tree_rss_mib"]
        lines.append(
            f"| {a['scale']} → {b['scale']} | {n:.1f}x | {cells[0]} | {cells[1]} | {mem:.1f}x |"
        )
    return "\n".join(lines + ["", *render_model_growth(results)])


def render_model_growth(results: list[dict]) -> list[str]:
    """Each dbt model over 1 s at the largest scale (full run): time at each scale, exponent.

    The exponent is log(time ratio) / log(GA4 events ratio) from the first scale to the
    last; a model under 0.05 s at the first scale is timed by noise there, so its exponent
    starts at the first scale where it takes longer.
    """
    last = results[-1]
    models = last["runs"][0].get("dbt_model_s", {})
    slow = sorted((m for m, t in models.items() if t > SLOW_MODEL_S), key=lambda m: -models[m])
    if not slow:
        return ["No dbt model took over 1 s at the largest scale."]
    head = " | ".join(r["scale"] for r in results)
    lines = [
        f"| dbt model (full run, > 1 s at {last['scale']}) | {head} | exponent |",
        "|---|" + "---|" * len(results) + "---|",
    ]
    for m in slow:
        times = [r["runs"][0].get("dbt_model_s", {}).get(m) for r in results]
        start = next((i for i, t in enumerate(times) if t and t >= 0.05), None)
        exponent = "–"
        if start is not None and start < len(results) - 1 and times[-1]:
            n = last["sample"]["ga4_events"] / results[start]["sample"]["ga4_events"]
            exponent = f"{math.log(times[-1] / times[start]) / math.log(n):.2f}"
            if start:
                exponent += f" (from {results[start]['scale']})"
        cells = " | ".join("–" if t is None else f"{t:.2f} s" for t in times)
        lines.append(f"| `{m}` | {cells} | {exponent} |")
    return lines


def parse_series(text: str) -> list[str]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give scales, e.g. --series small-1x,small-3x,small-10x")
    return [scale_type(n) for n in names]


def measure(
    scales: list[str], keep: Path | None, policy: str, save: Callable[[list[dict]], None]
) -> list[dict]:
    results: list[dict] = []
    for scale in scales:
        work = (keep / scale) if keep else Path(tempfile.mkdtemp(prefix="bench_nightly_"))
        if work.exists() and any(work.iterdir()):
            sys.exit(f"{work} is not empty: give a new --work folder")
        work.mkdir(parents=True, exist_ok=True)
        try:
            result = bench_scale(scale, work, policy, lambda r: save([*results, r]))
        finally:
            if not keep:
                shutil.rmtree(work, ignore_errors=True)
        results.append(result)
        save(results)
    return results


def write_benchmarks(path: Path, info: dict, results: list[dict]) -> None:
    """The intro (with the machine), one section per scale and, for several scales, growth."""
    machine_text = (
        f"Machine: {bench_report.machine_line(info)}. **Shared** with other engineers' "
        "jobs while measured (load averages in the tables)."
    )
    bench_report.write_section(path, "bench_nightly:intro", INTRO + "\n\n" + machine_text, HEADING)
    for r in results:
        bench_report.write_section(
            path, f"bench_nightly:{r['scale']}", render_scale(r, r["measured_at"]), HEADING
        )
    if len(results) > 1:
        scales = " → ".join(r["scale"] for r in results)
        bench_report.write_section(
            path,
            "bench_nightly:series",
            f"### Growth, {scales}\n\n" + render_series(results),
            HEADING,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--scale", type=scale_type, help="small, medium, large or e.g. small-3x (default: small)"
    )
    group.add_argument(
        "--series",
        type=parse_series,
        help="comma-separated scales, e.g. small-1x,small-3x,small-10x (growth exponents)",
    )
    parser.add_argument("--delta", choices=("slice", "day", "changed"), default="slice")
    parser.add_argument("--work", type=Path, help="work here and keep it (default: temp, removed)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--benchmarks",
        type=Path,
        default=bench_report.BENCHMARKS,
        help="the markdown file to update (default: the repository's)",
    )
    parser.add_argument("--no-write", action="store_true", help="do not touch --benchmarks")
    parser.add_argument(
        "--from-json",
        type=Path,
        nargs="+",
        metavar="JSON",
        help="measure nothing: write the sections from reports saved with --json",
    )
    args = parser.parse_args(argv)
    if args.from_json:
        reports = [json.loads(p.read_text(encoding="utf-8")) for p in args.from_json]
        info = reports[0]["machine"]
        results = [
            {"measured_at": report.get("measured_at", "?"), **r}
            for report in reports
            for r in report["results"]
        ]
    else:
        info = bench_report.machine()

        def save(results: list[dict]) -> None:  # after every run: an interruption keeps them
            results[-1]["measured_at"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
            if args.json:
                report = {"machine": info, "shared_machine": True, "results": results}
                args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")

        results = measure(args.series or [args.scale or "small"], args.work, args.delta, save)
    if not args.no_write:
        write_benchmarks(args.benchmarks, info, results)
        print(f"wrote {args.benchmarks}")
    failed = [f"{r['scale']}/{x['name']}" for r in results for x in r["runs"] if not x["ok"]]
    if failed:
        print(f"FAILED runs: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
