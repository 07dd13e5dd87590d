"""Deliveries, not paths (finding 1): a file rewritten in place is a new delivery that
supersedes the earlier one; GA4's daily file supersedes that day's intraday file; counts
reconcile per delivery; a delivery can be set aside and restored (finding 7).

Real-shaped inputs: a GA4 day as the BigQuery export writes it (null fields left out) and a
Google Ads GAQL campaign report. Hand-worked figures:

* Google Ads 2026-10-30, first delivery: Brand 25 clicks / 1,500 JPY, Generic 10 / 800 JPY.
  Restated two days later (invalid clicks credited, a late conversion): Brand 24 / 1,450 JPY
  with 3.0 conversions, Generic unchanged. Current rows after the restatement: Brand 24 and
  Generic 10 = 34 clicks (not 69), 2,250 JPY of spend.
* GA4 2026-10-30: the intraday file had events 1 and 2; the daily file has 1, 2 and a late 3.
  Current rows: 3 (not 5); raw keeps all 5, the intraday ones marked superseded.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from test_load_helpers import ga4_event, rows, write

from connectors.load import load_all, load_source
from connectors.load.deliveries import ignore_delivery, list_deliveries, restore_delivery

ADS = "ads/google_ads/campaign_2026-10-30.csv"
HEADER = (
    "segments.date,customer.id,customer.currency_code,campaign.id,campaign.name,"
    "campaign.advertising_channel_type,metrics.impressions,metrics.clicks,"
    "metrics.cost_micros,metrics.conversions\n"
)
FIRST = HEADER + (
    "2026-10-30,1234567890,JPY,111,Brand,SEARCH,1000,25,1500000000,2.0\n"
    "2026-10-30,1234567890,JPY,222,Generic,SEARCH,800,10,800000000,0.0\n"
)
RESTATED = HEADER + (
    "2026-10-30,1234567890,JPY,111,Brand,SEARCH,1000,24,1450000000,3.0\n"
    "2026-10-30,1234567890,JPY,222,Generic,SEARCH,800,10,800000000,0.0\n"
)
TS = 1793318400000000  # 2026-10-30 00:00:00 UTC in microseconds


def _touch_later(path: Path) -> None:
    """A rewrite a second later, so the mtime surely differs from the first delivery's."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def _ga4_lines(*ns: int) -> str:
    events = []
    for n in ns:
        ev = ga4_event(TS + n, user_pseudo_id=f"c{n}")
        ev["event_date"] = "20261030"
        for key in [k for k, v in ev.items() if v is None]:  # the export leaves nulls out
            del ev[key]
        events.append(json.dumps(ev, separators=(",", ":")))
    return "\n".join(events) + "\n"


def _reconciles(warehouse: Path, table: str) -> list[tuple]:
    """Per delivery (file, batch): manifest rows_in vs rows found in raw + quarantine."""
    return rows(
        warehouse,
        f"""WITH r AS (SELECT _source_file f, _batch_id b, count(*) n FROM raw.{table}
                       GROUP BY ALL),
                 q AS (SELECT _source_file f, _batch_id b, count(*) n FROM quarantine.{table}
                       GROUP BY ALL)
            SELECT m.file, m.rows_in, coalesce(r.n, 0) + coalesce(q.n, 0)
            FROM raw._manifest m LEFT JOIN r ON r.f = m.file AND r.b = m.batch_id
            LEFT JOIN q ON q.f = m.file AND q.b = m.batch_id
            WHERE m.status = 'loaded' AND m.table_name = '{table}'
            ORDER BY m.file, m.loaded_at""",
    )


def test_a_restated_ads_day_supersedes_the_first_delivery(extracts: Path, warehouse: Path):
    path = write(extracts / ADS, FIRST)
    assert load_source(warehouse, extracts, "google_ads").rows_loaded == 2
    write(path, RESTATED)
    _touch_later(path)
    report = load_source(warehouse, extracts, "google_ads")
    assert report.ok, report.summary()
    assert report.redelivered == [ADS]  # before: "skipped", the new figures never loaded
    assert report.rows_loaded == 2
    current = rows(
        warehouse,
        'SELECT sum("metrics.clicks"), sum("metrics.cost_micros") / 1e6 '
        "FROM raw.google_ads__campaign WHERE _superseded_at IS NULL",
    )
    assert current == [(34, 2250.0)]
    assert rows(warehouse, "SELECT count(*) FROM raw.google_ads__campaign") == [(4,)]
    history = rows(
        warehouse,
        "SELECT status, superseded_at IS NOT NULL, superseded_by IS NOT NULL "
        "FROM raw._manifest WHERE file = ? ORDER BY loaded_at",
        [ADS],
    )
    assert history == [("loaded", True, True), ("loaded", False, False)]
    checked = _reconciles(warehouse, "google_ads__campaign")
    assert [(n, found) for _, n, found in checked] == [(2, 2), (2, 2)]
    # Unchanged now: a third run loads nothing and supersedes nothing.
    again = load_source(warehouse, extracts, "google_ads")
    assert (again.rows_loaded, again.redelivered, again.superseded) == (0, [], {})


def test_same_bytes_with_a_new_mtime_are_not_a_new_delivery(extracts: Path, warehouse: Path):
    path = write(extracts / ADS, FIRST)
    load_source(warehouse, extracts, "google_ads")
    _touch_later(path)  # copied again by a sync tool: same content
    report = load_source(warehouse, extracts, "google_ads")
    assert (report.rows_loaded, report.redelivered) == (0, [])
    assert rows(warehouse, "SELECT count(*) FROM raw._manifest") == [(1,)]


def test_the_daily_file_supersedes_the_intraday_file(extracts: Path, warehouse: Path):
    """Before: ``events_*.jsonl`` matched both files and the day counted twice."""
    write(extracts / "ga4/events_intraday_20261030.jsonl", _ga4_lines(1, 2))
    load_source(warehouse, extracts, "ga4")
    write(extracts / "ga4/events_20261030.jsonl", _ga4_lines(1, 2, 3))
    report = load_source(warehouse, extracts, "ga4")
    assert report.ok, report.summary()
    assert list(report.superseded.values()) == [
        f"ga4/events_20261030.jsonl@{_checksum(warehouse, 'ga4/events_20261030.jsonl')}"
    ]
    assert rows(
        warehouse,
        "SELECT _source_file, count(*) FROM raw.ga4__events WHERE _superseded_at IS NULL "
        "GROUP BY 1",
    ) == [("ga4/events_20261030.jsonl", 3)]
    assert rows(warehouse, "SELECT count(*) FROM raw.ga4__events") == [(5,)]
    checked = _reconciles(warehouse, "ga4__events")
    assert [(n, found) for _, n, found in checked] == [(3, 3), (2, 2)]
    # An intraday file that arrives after its day's daily file is superseded at once.
    write(extracts / "ga4/events_intraday_20261030.jsonl", _ga4_lines(1, 2, 4))
    _touch_later(extracts / "ga4/events_intraday_20261030.jsonl")
    load_source(warehouse, extracts, "ga4")
    assert rows(warehouse, "SELECT count(*) FROM raw.ga4__events WHERE _superseded_at IS NULL") == [
        (3,)
    ]


def test_a_daily_file_with_its_intraday_files_bytes_still_holds_the_day(
    extracts: Path, warehouse: Path
):
    """A quiet day: the intraday file was already complete, so the daily file that replaces
    it has the very same bytes. Before, the daily file was recorded as a ``duplicate`` (no
    rows) and still superseded the intraday file: the day's 2 events left staging, and the
    nightly gate stopped on a channel that "dropped to zero" (seen in the benchmark's small
    world). Now it is loaded like any replacing delivery: 2 current rows, from the daily
    file."""
    write(extracts / "ga4/events_intraday_20261030.jsonl", _ga4_lines(1, 2))
    load_source(warehouse, extracts, "ga4")
    write(extracts / "ga4/events_20261030.jsonl", _ga4_lines(1, 2))
    report = load_source(warehouse, extracts, "ga4")
    assert report.ok, report.summary()
    assert report.duplicates == {}
    assert rows(
        warehouse,
        "SELECT _source_file, count(*) FROM raw.ga4__events WHERE _superseded_at IS NULL "
        "GROUP BY 1",
    ) == [("ga4/events_20261030.jsonl", 2)]
    # the same bytes as another day's file, which they do not replace, are still a
    # duplicate: nothing is loaded twice
    write(extracts / "ga4/events_20261031.jsonl", _ga4_lines(1, 2))
    again = load_source(warehouse, extracts, "ga4")
    assert list(again.duplicates) == ["ga4/events_20261031.jsonl"]
    assert rows(warehouse, "SELECT count(*) FROM raw.ga4__events WHERE _superseded_at IS NULL") == [
        (2,)
    ]


def _checksum(warehouse: Path, file: str) -> str:
    return rows(warehouse, "SELECT max(checksum) FROM raw._manifest WHERE file = ?", [file])[0][0][
        :12
    ]


def test_a_bad_delivery_set_aside_lets_the_night_go_on_and_comes_back(
    extracts: Path, warehouse: Path
):
    """One bad file blocked every night until someone deleted it (finding 7)."""
    bad = write(extracts / "marketo/leads/2026-10-30.csv", "id,email\n1,a@b.jp\n")
    write(extracts / ADS, FIRST)
    assert len(load_all(warehouse, extracts).failures) == 1
    assert len(load_all(warehouse, extracts).failures) == 1  # tried again, fails again
    checksum = ignore_delivery(
        warehouse, extracts, "marketo/leads/2026-10-30.csv", "export job misconfigured, ticket 42"
    )
    night = load_all(warehouse, extracts)
    assert night.ok and night.ignored == ["marketo/leads/2026-10-30.csv"]
    listed = {d.file: d for d in list_deliveries(warehouse)}
    assert listed["marketo/leads/2026-10-30.csv"].status == "ignored"
    assert "ticket 42" in listed["marketo/leads/2026-10-30.csv"].note
    assert listed[ADS].status == "loaded"
    assert rows(warehouse, "SELECT checksum FROM raw._ignored_deliveries") == [(checksum,)]
    # Reversible: restored, it is retried (and fails again, as it is still broken).
    assert restore_delivery(warehouse, "marketo/leads/2026-10-30.csv", "vendor says fixed") == 1
    assert len(load_all(warehouse, extracts).failures) == 1
    # The vendor's fix is a new delivery, judged afresh.
    write(bad, "id,email\n")  # still wrong, but a different delivery
    _touch_later(bad)
    assert len(load_all(warehouse, extracts).failures) == 1


def test_setting_aside_a_loaded_delivery_brings_the_previous_one_back(
    extracts: Path, warehouse: Path
):
    path = write(extracts / ADS, FIRST)
    load_source(warehouse, extracts, "google_ads")
    write(path, RESTATED)
    _touch_later(path)
    load_source(warehouse, extracts, "google_ads")
    ignore_delivery(warehouse, extracts, ADS, "restatement looks wrong, checking with the agency")
    current = (
        'SELECT sum("metrics.clicks") FROM raw.google_ads__campaign WHERE _superseded_at IS NULL'
    )
    assert rows(warehouse, current) == [(35,)]  # the first delivery is current again
    restore_delivery(warehouse, ADS)
    assert rows(warehouse, current) == [(34,)]
