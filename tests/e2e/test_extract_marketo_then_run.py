"""`revloop extract-marketo` fills an extracts folder from the bundled sandbox, `revloop run`
loads it; then the vendors re-deliver and a second run shows the new figures once.

1. The sandbox serves the small sample's Marketo data over the Bulk Extract API; the CLI pulls
   it (OAuth client credentials from MARKETO_*, 31-day jobs, two at a time, from 2024-10-01
   up to 2026-11-01 00:00 UTC) into a fresh extracts folder that holds the other sources'
   files too.
2. `revloop run --as-of 2026-10-31T23:59:59Z` loads, builds, gates and syncs: the Marketo rows
   in raw are exactly the records the extract wrote, and staging has one row per lead.
3. The same world is delivered again a day and a half later (``generate(delivered_at=...)``):
   GA4's intraday file of the last day is replaced by the daily one (and a finished day is
   rewritten if late events of it arrived meanwhile), the ad platforms restate recent days.
   `revloop load` takes those as new deliveries that supersede the earlier ones, and
   rebuilding the event log (the six models between GA4 staging and ``fct_events``; the
   rest of the first run's build still holds) shows each GA4 event of the last day once (the
   daily file's, not intraday + daily); staging (views) has the restated ad spend, the first
   delivery of that day is marked superseded; every delivery still reconciles (in = raw +
   quarantine).

To keep the suite's time down only the last GA4_DAYS days of web events are copied (the GA4
loader and the event models are the slow part), as in tests/dbt/test_marts_build.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from connectors.generate import REFERENCE_END_DATE, generate
from sandbox.marketo_api import CLIENT_ID
from sandbox.server import start_background

REVLOOP = str(Path(sys.executable).with_name("revloop"))
TOKEN = "e2e-marketo-sandbox-token"
LATER = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)
AS_OF = "2026-10-31T23:59:59Z"  # the sample's last second: the build, gate and syncs pinned
GA4_DAYS = 20
DBT = Path(sys.executable).with_name("dbt")
PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


def _sql(warehouse: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(query).fetchall()


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory, small_world: dict) -> dict:
    root = tmp_path_factory.mktemp("marketo_e2e")
    source = small_world["extracts"]
    extracts = root / "data" / "extracts"
    for folder in ("salesforce", "ga4", "ads"):  # everything but Marketo, copied as delivered
        shutil.copytree(source / folder, extracts / folder)
    for old in sorted((extracts / "ga4").glob("events_*.jsonl"))[:-GA4_DAYS]:
        old.unlink()
    env = {
        **os.environ,
        "REVLOOP_EXTRACTS": str(extracts),
        "REVLOOP_WAREHOUSE": str(root / "warehouse" / "revloop.duckdb"),
        "REVLOOP_SANDBOX_TOKEN": TOKEN,
    }

    def revloop(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [REVLOOP, *args], env={**env, **extra}, cwd=root, capture_output=True, text=True,
            timeout=1200,
        )  # fmt: skip

    with start_background(0, root / "mkto" / "sandbox.sqlite", source, TOKEN) as sandbox:
        pulled = revloop(
            "extract-marketo", "--since", "2024-10-01", "--until", "2026-11-01",
            "--poll-seconds", "0.2",
            MARKETO_BASE_URL=sandbox.url, MARKETO_CLIENT_ID=CLIENT_ID,
            MARKETO_CLIENT_SECRET=TOKEN,
        )  # fmt: skip
    first = revloop("run", "--as-of", AS_OF)
    warehouse = root / "warehouse" / "revloop.duckdb"
    state = {"first_marketo": _sql(warehouse, MARKETO_COUNTS)} if warehouse.exists() else {}
    later = root / "later"
    generate(
        later / "extracts", "small", 42, later / "truth", end_date=REFERENCE_END_DATE,
        delivered_at=LATER,
    )  # fmt: skip
    changed = _redeliver(later / "extracts", extracts)
    second = revloop("load")
    rebuild = subprocess.run(
        [str(DBT), "run", "--select", "int_ga4_events_sessioned", "int_events__ga4",
         "int_events_base", "int_event_duplicates", "int_events_resolved", "fct_events",
         "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
         "--vars", '{"as_of": "2026-10-31 23:59:59"}',
         "--target-path", str(root / "dbt_target"), "--log-path", str(root / "dbt_logs")],
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    return {
        "pulled": pulled,
        "first": first,
        "second": second,
        "rebuild": rebuild,
        "changed": changed,
        "extracts": extracts,
        "later": later / "extracts",
        "warehouse": warehouse,
        **state,
    }


def _redeliver(later: Path, extracts: Path) -> list[str]:
    """Copy over the extracts folder what the later delivery changed or added (GA4 for the
    days kept, plus the new daily file of the last day; the ad platforms' files)."""
    keep_ga4 = {p.name for p in (extracts / "ga4").iterdir()} | {"events_20261031.jsonl"}
    changed = []
    for path in sorted(p for p in later.rglob("*") if p.is_file()):
        rel = path.relative_to(later)
        if rel.parts[0] not in ("ga4", "ads") or (
            rel.parts[0] == "ga4" and rel.name not in keep_ga4
        ):
            continue
        target = extracts / rel
        if not target.exists() or target.read_bytes() != path.read_bytes():
            shutil.copyfile(path, target)
            changed.append(rel.as_posix())
    return changed


MARKETO_COUNTS = """
select (select count(*) from raw.marketo__leads), (select count(*) from quarantine.marketo__leads),
       (select count(*) from raw.marketo__activities),
       (select count(*) from quarantine.marketo__activities)
"""


def _records(folder: Path) -> int:
    total = 0
    for path in folder.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as fh:
            total += sum(1 for _ in csv.DictReader(fh))
    return total


def test_extract_marketo_writes_bulk_files_the_run_loads(loop: dict) -> None:
    assert loop["pulled"].returncode == 0, loop["pulled"].stdout + loop["pulled"].stderr
    assert "extracted Marketo" in loop["pulled"].stdout
    assert TOKEN not in loop["pulled"].stdout + loop["pulled"].stderr
    assert loop["first"].returncode == 0, loop["first"].stdout + loop["first"].stderr
    leads_dir = loop["extracts"] / "marketo" / "leads"
    acts_dir = loop["extracts"] / "marketo" / "activities"
    assert len(list(leads_dir.glob("*.csv"))) >= 24  # two years in 31-day jobs
    leads, bad_leads, acts, bad_acts = loop["first_marketo"][0]
    assert leads + bad_leads == _records(leads_dir) > 1000
    assert acts + bad_acts == _records(acts_dir) > 10_000
    assert bad_leads + bad_acts > 0  # the sample's deliberately broken rows came through too
    (distinct,) = _sql(loop["warehouse"], "select count(distinct id) from raw.marketo__leads")[0]
    assert _sql(loop["warehouse"], "select count(*) from staging.stg_marketo__leads") == [
        (distinct,)
    ]


def test_redelivered_files_supersede_and_count_once(loop: dict) -> None:
    assert loop["second"].returncode == 0, loop["second"].stdout + loop["second"].stderr
    ads_day = "ads/google_ads/campaign_2026-10-30.csv"
    assert f"re-delivered: {ads_day}" in loop["second"].stdout
    assert loop["rebuild"].returncode == 0, loop["rebuild"].stdout[-3000:]
    changed = set(loop["changed"])
    assert "ga4/events_20261031.jsonl" in changed  # the daily file, new
    assert ads_day in changed  # restated in place (conversions credited late)
    # GA4 rewrites a finished day only when late events of it arrived in between: with this
    # seed none did, so in-place GA4 rewrites are covered by tests/connectors (by hand).
    rewritten_ga4 = {c for c in changed if c.startswith("ga4/events_2")} - {
        "ga4/events_20261031.jsonl"
    }
    wh = loop["warehouse"]
    superseded = dict(
        _sql(
            wh,
            "select file, superseded_by from raw._manifest where superseded_at is not null "
            "and file like 'ga4/%'",
        )
    )
    assert superseded["ga4/events_intraday_20261031.jsonl"].startswith("ga4/events_20261031.jsonl@")
    for rel in rewritten_ga4:
        assert superseded[rel].startswith(f"{rel}@")
    ads_history = _sql(
        wh,
        "select superseded_at is not null from raw._manifest "
        f"where file = '{ads_day}' order by loaded_at",
    )
    assert ads_history == [(True,), (False,)]  # the first delivery superseded by the restated
    # The last day: exactly the daily file's events in staging and in the event log.
    daily = [
        json.loads(line)
        for line in (loop["later"] / "ga4" / "events_20261031.jsonl").read_text().splitlines()
    ]
    typed = {"page_view", "file_download", "form_submit", "login"}
    good = [e for e in daily if e.get("user_pseudo_id") and e["event_timestamp"].isdigit()]
    assert _sql(
        wh, "select count(*) from staging.stg_ga4__events where event_date = '2026-10-31'"
    ) == [(len(good),)]
    assert _sql(
        wh,
        "select count(*) from marts.fct_events where source_system = 'ga4' "
        "and event_type <> 'ad_click' and occurred_at >= '2026-10-31' "
        "and occurred_at < '2026-11-01'",
    ) == [(sum(e["event_name"] in typed for e in good),)]
    # A restated Google Ads day: staging has the new spend.
    day = "2026-10-30"
    with (loop["later"] / "ads" / "google_ads" / f"campaign_{day}.csv").open() as fh:
        micros = [r["metrics.cost_micros"] for r in csv.DictReader(fh)]
    expected = sum(int(m) for m in micros if m.isdigit()) / 1e6
    (spend,) = _sql(
        wh,
        f"select sum(spend) from staging.stg_google_ads__campaign_stats where spend_date = '{day}'",
    )[0]
    assert spend == pytest.approx(expected)
    # in = raw + quarantine, for every delivery of every file (superseded ones included).
    off = _sql(
        wh,
        """with r as (select _source_file f, _batch_id b, count(*) n from raw.ga4__events
                      group by all
                      union all select _source_file, _batch_id, count(*)
                      from raw.google_ads__campaign group by all),
                q as (select _source_file f, _batch_id b, count(*) n from quarantine.ga4__events
                      group by all
                      union all select _source_file, _batch_id, count(*)
                      from quarantine.google_ads__campaign group by all)
           select count(*) from raw._manifest m
           left join (select f, b, sum(n) n from r group by all) r
                  on r.f = m.file and r.b = m.batch_id
           left join (select f, b, sum(n) n from q group by all) q
                  on q.f = m.file and q.b = m.batch_id
           where m.status = 'loaded'
             and m.table_name in ('ga4__events', 'google_ads__campaign')
             and m.rows_in <> coalesce(r.n, 0) + coalesce(q.n, 0)""",
    )
    assert off == [(0,)]
