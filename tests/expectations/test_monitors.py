"""Anomaly monitors, freshness and the release diff on tiny hand-built warehouses.

The world (tests/expectations/world.py) ends on Saturday 2026-10-31; the run after it has
as-of 2026-11-01 02:00 UTC, so the monitors check 2026-10-31 against the four previous
Saturdays (10-03, 10-10, 10-17, 10-24).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from expectations.freshness import source_freshness
from expectations.monitors import Monitor, load_monitors, run_monitors
from expectations.release import mark_published, prepare_release
from tests.expectations import world


def _shipped(table: str, name: str) -> Monitor:
    (m,) = [m for m in load_monitors() if m.table == table and m.name == name]
    return m


def test_every_shipped_monitor_file_parses_and_contracts_still_load() -> None:
    from connectors.contracts import load_contracts

    monitors = load_monitors()
    assert {m.table.split(".")[1].split("__")[0] for m in monitors if m.is_raw} == {
        "ga4", "salesforce", "marketo", "google_ads", "meta_ads", "linkedin_ads",
    }  # fmt: skip
    assert all(m.meaning for m in monitors)
    # a monitors.yaml beside the contracts is not mistaken for a contract
    assert len(load_contracts()) == 19


def test_a_zero_volume_day_is_an_error(tmp_path: Path) -> None:
    """Four previous Saturdays had 100 events each (median 100); the newest file is empty."""
    wh = tmp_path / "wh.duckdb"
    with world.connect(wh) as con:
        world.ga4_days(con, newest=0)
    (result,) = run_monitors(wh, [_shipped("raw.ga4__events", "daily_events")], world.AS_OF)
    assert result.checked_days == [world.LAST_DAY]
    from expectations.monitors import checked_days

    monitor = _shipped("raw.ga4__events", "daily_events")
    end_of_day = dt.datetime(2026, 10, 31, 23, 59, 59, tzinfo=dt.UTC)
    assert checked_days(monitor, end_of_day) == [world.LAST_DAY]
    assert checked_days(monitor, end_of_day - dt.timedelta(seconds=1)) == [dt.date(2026, 10, 30)]
    assert result.severity == "error" and not result.passed
    (msg,) = result.messages()
    assert "ERROR on 2026-10-31: 0 rows (median 100 over 4 same weekday): dropped to zero" in msg
    assert "tracking outage" in msg


def test_a_normal_day_and_a_spike(tmp_path: Path) -> None:
    """100 on the newest day = the median: ok; 500 = 5.0x > 4x: a warning (not blocking)."""
    wh = tmp_path / "wh.duckdb"
    with world.connect(wh) as con:
        world.ga4_days(con)
    monitor = _shipped("raw.ga4__events", "daily_events")
    (ok,) = run_monitors(wh, [monitor], world.AS_OF)
    assert ok.severity is None and ok.findings == []
    spiky = tmp_path / "spike.duckdb"
    with world.connect(spiky) as con:
        world.ga4_days(con, newest=500)
    (spike,) = run_monitors(spiky, [monitor], world.AS_OF)
    assert spike.severity == "warn" and spike.passed
    assert "500 rows, 5.0x the median 100" in spike.messages()[0]


def test_a_superseded_delivery_does_not_count(tmp_path: Path) -> None:
    """The newest day's file is re-delivered in a later batch (same path, new bytes): the
    100 rows of the first delivery stay in raw but only the newest delivery's 100 count, so
    the day is 100 (not 200, which would be no spike either way) -- and when the newest
    delivery is empty the day is 0, an error, even though 100 older rows sit in raw.
    The raw table here has no ``_superseded_at`` (a warehouse loaded before the loader
    marked deliveries), so the monitor must find the newest delivery from the manifest."""
    wh = tmp_path / "wh.duckdb"
    with world.connect(wh) as con:
        world.ga4_days(con)
        con.execute("ALTER TABLE raw.ga4__events DROP COLUMN _superseded_at")
        later = dt.datetime(2026, 11, 1, 1, 45, tzinfo=dt.UTC)
        con.execute(
            "INSERT INTO raw._manifest VALUES ('ga4/events_20261031.jsonl', 'x', 0, 0, 0, "
            "'loaded', 'b-redelivered', ?, 'ga4', 'ga4__events', 0, 'utf-8', NULL, NULL)",
            [later],
        )
    (result,) = run_monitors(wh, [_shipped("raw.ga4__events", "daily_events")], world.AS_OF)
    assert result.severity == "error" and "dropped to zero" in result.messages()[0]


def test_a_null_spike_is_an_error(tmp_path: Path) -> None:
    """Amount was never missing in 28 days (0 %); on the newest day all 30 versions lack it
    (100 % > 0 % + 30 points)."""
    wh = tmp_path / "wh.duckdb"
    with world.connect(wh) as con:
        world.opportunity_days(con, newest_amount_null=True)
    monitor = _shipped("raw.salesforce__opportunity", "opportunity_amount_missing")
    (result,) = run_monitors(wh, [monitor], world.AS_OF)
    assert result.severity == "error"
    assert "Amount missing in 100.0% of 30 rows vs 0.0% before" in result.messages()[0]


def test_identical_reextract_is_not_a_volume_spike(tmp_path: Path) -> None:
    """The newest page delivered twice: 60 rows but 30 distinct versions = the median."""
    wh = tmp_path / "wh.duckdb"
    with world.connect(wh) as con:
        world.opportunity_days(con, redeliver_newest=True)
    monitor = _shipped("raw.salesforce__opportunity", "daily_opportunity_changes")
    (result,) = run_monitors(wh, [monitor], world.AS_OF)
    assert result.findings == [], result.summary()


@pytest.mark.parametrize(
    ("factor", "expected"), [(1, None), (-1, "opposite sign"), (1_000_000, "unit or scale")]
)
def test_a_total_that_flips_sign_or_changes_unit(
    tmp_path: Path, factor: int, expected: str | None
) -> None:
    """Google Ads: every day 3 campaigns x 2,000,000 micros; on the newest day the cost is
    multiplied by ``factor`` (-1: refunds booked as spend; 10^6: micros of micros)."""
    wh = tmp_path / "wh.duckdb"
    with world.connect(wh) as con:
        world.create_raw(con, "google_ads__campaign")
        con.execute(
            f"""INSERT INTO raw.google_ads__campaign ("segments.date", "campaign.id",
                "metrics.impressions", "metrics.clicks", "metrics.cost_micros", _source_file,
                _batch_id)
            SELECT d::DATE, 'c' || c, 1000, 10,
                   2000000::BIGINT
                   * CASE WHEN d::DATE = DATE '{world.LAST_DAY}' THEN {factor} ELSE 1 END,
                   'google_ads/campaign_' || strftime(d, '%Y%m%d') || '.csv', 'b'
            FROM range(DATE '2026-09-20', DATE '2026-11-01', INTERVAL 1 DAY) t(d), range(3) u(c)"""
        )
        world.record_files(con, "google_ads__campaign")
    (result,) = run_monitors(wh, [_shipped("raw.google_ads__campaign", "daily_spend")], world.AS_OF)
    if expected is None:
        assert result.findings == []
    else:
        assert result.severity == "error" and expected in result.messages()[0]


def test_spend_without_clicks(tmp_path: Path) -> None:
    """Meta: one campaign spends 12.5 with 0 clicks on the newest day (account total too)."""
    wh = tmp_path / "wh.duckdb"
    with world.connect(wh) as con:
        world.create_raw(con, "meta_ads__insights")
        con.execute(
            f"""INSERT INTO raw.meta_ads__insights (date_start, date_stop, campaign_id,
                impressions, clicks, spend, _source_file, _batch_id)
            SELECT d::DATE, d::DATE, 'm1', 500,
                   CASE WHEN d::DATE = DATE '{world.LAST_DAY}' THEN 0 ELSE 4 END, 12.5,
                   'meta_ads/insights_' || strftime(d, '%Y%m%d') || '.json', 'b'
            FROM range(DATE '2026-09-20', DATE '2026-11-01', INTERVAL 1 DAY) t(d)"""
        )
        world.record_files(con, "meta_ads__insights")
    (result,) = run_monitors(
        wh, [_shipped("raw.meta_ads__insights", "spend_without_clicks")], world.AS_OF
    )
    assert result.severity == "error"
    assert "spend 12.5 with 0 clicks" in result.messages()[0]


def test_small_baselines_are_reported_not_judged(tmp_path: Path) -> None:
    """5 events a day is below min_baseline 20: a zero day is noted, not alerted."""
    wh = tmp_path / "wh.duckdb"
    with world.connect(wh) as con:
        world.ga4_days(con, per_day=5, newest=0)
    (result,) = run_monitors(wh, [_shipped("raw.ga4__events", "daily_events")], world.AS_OF)
    assert result.findings == []
    assert "baseline median 5 over 4 same weekday < 20, too small to judge" in result.summary()


def test_freshness_names_the_last_load_time(tmp_path: Path) -> None:
    """GA4 files last loaded 2026-11-01 01:30 UTC; contract allows 48 h. At +47 h fresh, at
    +49 h stale; a source never loaded (google_ads here) is a warning."""
    wh = tmp_path / "wh.duckdb"
    with world.connect(wh) as con:
        world.ga4_days(con)
    at = world.LOADED_AT
    fresh = {f.source: f for f in source_freshness(wh, at + dt.timedelta(hours=47))}
    assert fresh["ga4"].severity is None and fresh["ga4"].passed
    assert (
        fresh["google_ads"].severity == "warn"
        and "has ever been loaded" in fresh["google_ads"].message()
    )
    (stale,) = source_freshness(wh, at + dt.timedelta(hours=49), sources=["ga4"])
    assert stale.severity == "error" and not stale.passed
    assert "ga4: last load 2026-11-01 01:30 UTC, 49.0 h before the run" in stale.message()
    assert "STALE" in stale.message() and "48 h" in stale.message()
    assert (stale.owner, stale.backup) == (
        "web-analytics@revloop.example",
        "marketing-ops@revloop.example",
    )


def test_release_diff_against_the_last_published_build(tmp_path: Path) -> None:
    """Build 1: 5 attribution rows, first release. Build 2 unchanged: 0 beyond threshold.
    Build 3 after publishing 2 with 5 -> 200 rows (+3900 %): rows.fct_attribution blocks,
    and the diff is kept in quality.release_diff; accepting it makes it a warning."""
    wh = tmp_path / "wh.duckdb"
    with world.connect(wh) as con:
        world.attribution_mart(con)
    as_of = world.AS_OF
    first = prepare_release(wh, "b1", as_of=as_of)
    assert first.compared_with is None and first.passed and "first release" in first.summary()
    mark_published(wh, "b1", tmp_path / "snap.duckdb")
    second = prepare_release(wh, "b2", as_of=as_of)
    assert second.compared_with == "b1" and second.passed and not second.errors
    mark_published(wh, "b2", tmp_path / "snap.duckdb")
    with world.connect(wh) as con:
        con.execute(
            "INSERT INTO marts.fct_attribution SELECT 'x' || i, 'lead_created', 'e', 'Direct', "
            "NULL, 'linear', 1.0, 0.0 FROM range(195) t(i)"
        )
    third = prepare_release(wh, "b3", as_of=as_of, config=_config(tmp_path, min_base=1))
    assert not third.passed
    (row,) = [r for r in third.errors if r.figure == "rows.fct_attribution"]
    assert (row.previous, row.current) == (5.0, 200.0) and row.change == pytest.approx(39.0)
    assert (
        "rows.fct_attribution: 5.00 -> 200.00 (+3900.0%, allowed ±25%) CHANGED" in third.summary()
    )
    with world.connect(wh) as con:
        kept = con.execute(
            "SELECT compared_with, previous, current, status FROM quality.release_diff "
            "WHERE build_id = 'b3' AND figure = 'rows.fct_attribution'"
        ).fetchall()
        status = con.execute("SELECT status FROM quality.releases WHERE build_id = 'b3'").fetchone()
    assert kept == [("b2", 5.0, 200.0, "changed")] and status == ("blocked",)
    accepted = prepare_release(
        wh, "b4", as_of=as_of, accept=True, config=_config(tmp_path, min_base=1)
    )
    assert accepted.passed and accepted.warnings


def _config(tmp_path: Path, *, min_base: float) -> Path:
    """The shipped figures with a smaller row-count floor (the fixture has 5 rows)."""
    from expectations.release import RELEASE_CONFIG

    text = RELEASE_CONFIG.read_text().replace(
        "row_counts:\n  max_change: 0.25\n  min_base: 100",
        f"row_counts:\n  max_change: 0.25\n  min_base: {min_base}",
    )
    path = tmp_path / "release_diff.yaml"
    path.write_text(text)
    return path
