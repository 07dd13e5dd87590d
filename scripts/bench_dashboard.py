"""Time every dashboard page on a published snapshot: its queries, then the page in a browser.

    python scripts/bench_dashboard.py --warehouse W.duckdb [--repeat 3] [--no-browser]
    python scripts/bench_dashboard.py --snapshot revloop_published.duckdb

Build the snapshot first (the issue's target is ``medium``):

    revloop generate --scale medium --end-date 2026-10-31
    revloop run --as-of 2026-10-31T23:59:59Z      # publishes revloop_published.duckdb

1. Queries: each page's queries (``dashboard.queries``, with the sidebar's default filters:
   the last twelve months, no segment/owner/channel; the selectors' defaults) on a fresh
   read-only connection, no cache: the cold cost a page pays once per published build.
   Median of ``--repeat`` runs, and the slowest query of the page.
2. Browser: ``revloop dashboard`` on a free port and Debian's headless chromium; the time
   until the script finished and every chart drew (the same wait as
   tests/dashboard/test_browser.py). ``load_first`` = a full page load (new session, the
   app's JavaScript included) by the first viewer after a publish (cold Streamlit cache);
   ``load_cached`` = the same again (cached queries); ``click_cached`` = a click on the
   page's sidebar link from the previous page, what a reader moving through the review
   does.

Prints one table; the figures go to BENCHMARKS.md. Run it under ``nice -n 10`` on a shared
machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dashboard import queries as q  # noqa: E402
from dashboard.queries import Filters  # noqa: E402
from dashboard.snapshot import open_read_only, read_build  # noqa: E402

MODEL, OTHER, CTYPE = "w_shaped", "first_touch", "opportunity_created"


def page_queries(f: Filters, latest_month: dt.date) -> dict[str, list[tuple[str, Callable]]]:
    """What each page runs with its default choices (the views' own calls)."""
    return {
        "funnel": [
            ("funnel_stages", lambda c: q.funnel_stages(c, f)),
            ("funnel_by_month", lambda c: q.funnel_by_month(c, f, basis="funnel_cohort")),
        ],
        "speed-to-lead": [
            (f"speed_to_lead[{by}]", lambda c, by=by: q.speed_to_lead(c, f, by=by))
            for by in ("total", "owner", "team", "month")
        ]
        + [
            ("unworked_mqls", lambda c: q.unworked_mqls(c, f)),
            ("speed_to_lead_mart", lambda c: q.speed_to_lead_mart(c, f)),
        ],
        "attribution": [
            ("attribution_models", q.attribution_models),
            ("attribution_by_channel", lambda c: q.attribution_by_channel(c, f, MODEL, CTYPE)),
            ("model_comparison", lambda c: q.model_comparison(c, f, CTYPE, MODEL, OTHER)),
            ("attribution_by_month", lambda c: q.attribution_by_month(c, f, MODEL, CTYPE)),
            ("attribution_by_campaign", lambda c: q.attribution_by_campaign(c, f, MODEL, CTYPE)),
            ("winning_paths", lambda c: q.winning_paths(c, f, CTYPE)),
        ],
        "spend": [
            ("attribution_models", q.attribution_models),
            ("spend_by_month", lambda c: q.spend_by_month(c, f, MODEL, CTYPE)),
            ("attribution_by_channel", lambda c: q.attribution_by_channel(c, f, MODEL, CTYPE)),
            (
                "attribution_by_campaign",
                lambda c: q.attribution_by_campaign(c, f, MODEL, CTYPE, limit=200),
            ),
        ],
        "velocity": [
            ("velocity_by_month", lambda c: q.velocity_by_month(c, f)),
            ("velocity_breakdown", lambda c: q.velocity_breakdown(c, latest_month, "channel")),
        ],
        "ltv": [
            ("ltv_totals", lambda c: q.ltv_totals(c, f)),
            ("ltv_by_channel", lambda c: q.ltv_by_channel(c, f)),
            ("ltv_by_channel_and_segment", lambda c: q.ltv_by_channel_and_segment(c, f)),
            ("retention_curves", lambda c: q.retention_curves(c, f)),
            ("cohort_retention", lambda c: q.cohort_retention(c, f)),
            ("churn_risk[segment]", lambda c: q.churn_risk(c, f, by="segment")),
            ("churn_risk[channel]", lambda c: q.churn_risk(c, f, by="channel")),
            ("churn_risk_accounts", lambda c: q.churn_risk_accounts(c, f)),
        ],
        "data-health": [
            (name, getattr(q, name))
            for name in (
                "build_info",
                "alerts",
                "checks",
                "check_summary",
                "quarantine",
                "sync_latest",
                "sync_history",
                "sync_rejects",
                "quarantined_rows",
                "loads",
                "release_tables",
            )
        ],
        "definitions": [("definitions", q.definitions)],
    }


def time_queries(snapshot: Path, repeat: int) -> pd.DataFrame:
    rows = []
    for _ in range(repeat):
        con = open_read_only(snapshot)  # fresh connection: nothing warm but the OS cache
        opts = q.filter_options(con)
        as_of = pd.Timestamp(con.execute("SELECT as_of FROM _release.build").fetchone()[0])
        months = [m for m in opts["months"] if m <= as_of.date()]
        f = Filters(start_month=months[max(0, len(months) - 12)], end_month=months[-1])
        for page, calls in page_queries(f, months[-1]).items():
            for name, call in calls:
                t0 = time.perf_counter()
                frame = call(con)
                rows.append((page, name, time.perf_counter() - t0, len(frame)))
        con.close()
    frame = pd.DataFrame(rows, columns=["page", "query", "seconds", "rows"])
    per_query = frame.groupby(["page", "query"], sort=False).agg(
        seconds=("seconds", "median"), rows=("rows", "max")
    )
    out = []
    for page, group in per_query.groupby(level=0, sort=False):
        slowest = group["seconds"].idxmax()[1]
        out.append((page, len(group), group["seconds"].sum(), slowest, group["seconds"].max()))
    return pd.DataFrame(out, columns=["page", "queries", "query_s", "slowest_query", "slowest_s"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def time_browser(snapshot: Path, pages: list[str]) -> pd.DataFrame:
    import requests
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    port = _free_port()
    revloop = str(Path(sys.executable).with_name("revloop"))
    server = subprocess.Popen(
        [revloop, "dashboard", "--port", str(port), "--snapshot", str(snapshot)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1500,2400",
    ):
        options.add_argument(arg)
    driver = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/_stcore/health", timeout=2).text.strip() == "ok":
                    break
            except requests.RequestException:
                time.sleep(0.2)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)

        def settled(d) -> bool:
            if d.find_elements(
                By.CSS_SELECTOR, '[data-testid="stStatusWidget"], [data-testid="stSkeleton"]'
            ):
                return False
            if not d.find_elements(By.CSS_SELECTOR, '[data-testid="stMain"] h1'):
                return False
            charts = d.find_elements(By.CSS_SELECTOR, '[data-testid="stVegaLiteChart"]')
            return all(c.find_elements(By.CSS_SELECTOR, "canvas, svg.marks") for c in charts)

        def heading(d) -> str:
            try:
                return d.find_element(By.CSS_SELECTOR, '[data-testid="stMain"] h1').text
            except Exception:  # noqa: BLE001 - replaced while the page redraws
                return ""

        def load(page: str) -> float:
            """A full page load (new session, the app's JS included)."""
            driver.get("about:blank")
            t0 = time.perf_counter()
            driver.get(f"{url}/{'' if page == 'funnel' else page}")  # default page: root
            WebDriverWait(driver, 120, poll_frequency=0.05).until(settled)
            return time.perf_counter() - t0

        def navigate(page: str) -> float:
            """A click on the page's sidebar link from the page on show (same session)."""
            before = heading(driver)
            link = next(
                a
                for a in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebarNavLink"]')
                if a.get_attribute("href").rstrip("/").endswith("/" + page)
                or (page == "funnel" and a.get_attribute("href").rstrip("/") == url)
            )
            t0 = time.perf_counter()
            link.click()
            WebDriverWait(driver, 120, poll_frequency=0.05).until(
                lambda d: heading(d) not in ("", before) and settled(d)
            )
            return time.perf_counter() - t0

        load("definitions")  # the server's first session (imports, sidebar options) untimed
        first = {page: load(page) for page in pages}  # cold cache: first viewer of the build
        again = {page: load(page) for page in pages}  # cached
        load("definitions")
        clicks = {page: navigate(page) for page in pages}
        rows = [(p, first[p], again[p], clicks[p]) for p in pages]
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        server.wait(timeout=20)
    return pd.DataFrame(rows, columns=["page", "load_first_s", "load_cached_s", "click_cached_s"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--warehouse", type=Path, help="revloop_published.duckdb beside it")
    where.add_argument("--snapshot", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    snapshot = args.snapshot or args.warehouse.with_name("revloop_published.duckdb")
    build = read_build(open_read_only(snapshot))
    con = open_read_only(snapshot)
    sizes = con.execute(
        "SELECT table_name, row_count FROM _release.tables ORDER BY row_count DESC LIMIT 4"
    ).fetchall()
    con.close()
    print(
        f"snapshot {snapshot} ({snapshot.stat().st_size / 1e6:.0f} MB), build "
        f"{build.build_id[:8]} as of {build.as_of}; largest tables: "
        + ", ".join(f"{t} {n:,}" for t, n in sizes)
    )
    result = time_queries(snapshot, args.repeat)
    if not args.no_browser:
        result = result.merge(time_browser(snapshot, list(result["page"])), on="page")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(result.round(3).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
