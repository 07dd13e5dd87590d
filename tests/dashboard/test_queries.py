"""The queries behind every dashboard page, on the published build of the small sample.

Each page's numbers must be the marts' numbers: a query over one mart row returns that row;
a period of several months pools the months the way the mart defines the metric (sums of
counts, rates as pooled ratios), checked here against the mart's rows added up in pandas;
a query that groups a fact table because the mart has no cut for a filter must add up,
over every value of that filter, to the mart itself. Plus the invariants: attribution
credits of a conversion sum to 1 under every model, funnel counts never grow downward,
the four velocity drivers add up to the change.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import queries as q
from dashboard.queries import Filters

ALL = Filters()
SEGMENTS = ("Enterprise", "Mid-Market", "SMB", "Unknown")


def _frame(con, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def _months(con) -> list[dt.date]:
    return q.filter_options(con)["months"]


def _close(a, b, rel: float = 1e-9) -> bool:
    if (a is None or pd.isna(a)) and (b is None or pd.isna(b)):
        return True
    return a == pytest.approx(b, rel=rel, abs=1e-9)


# ------------------------------------------------------------------------------ options


def test_filter_options_are_the_snapshots_own_values(snap) -> None:
    """Months run without a gap from the first to the last cohort month of the marts
    (24 months: the small world spans two years ending 2026-10-31); owners are the
    Salesforce users the marts use (no 'unassigned' pseudo-owner); channels include every
    channel of the attribution mart."""
    opts = q.filter_options(snap)
    months = opts["months"]
    assert months == sorted(months) and len(months) == 24
    assert months[-1] == dt.date(2026, 10, 1)
    assert set(opts["segments"]) >= {"Enterprise", "Mid-Market", "SMB"}
    owner_ids = {o for o, _ in opts["owners"]}
    assert "unassigned" not in owner_ids and owner_ids
    users = set(_frame(snap, "SELECT owner_id FROM _release.owners")["owner_id"])
    assert owner_ids <= users
    mart_channels = set(
        _frame(snap, "SELECT DISTINCT channel FROM marts.mart_attribution_by_channel")["channel"]
    )
    assert mart_channels <= set(opts["channels"])


def test_cut_takes_the_first_filter_and_names_the_ignored_ones() -> None:
    """Owner + segment set: the owner cut is shown, segment is reported as not applied."""
    cut = q.choose_cut(Filters(owner="005A", segment="SMB"))
    assert (cut.dimension, cut.value, cut.ignored) == ("owner", "005A", ("segment",))
    assert q.choose_cut(Filters(channel="Email")).dimension == "channel"
    assert q.choose_cut(ALL) == q.Cut("all", "all")


# ------------------------------------------------------------------------------- funnel


def test_funnel_month_equals_the_mart_rows_and_a_period_pools_them(snap) -> None:
    """One month: the mart's rows as they are. A six-month period: entered and converted are
    the sums of the six cohorts and the rate is their ratio (e.g. 10/20 and 30/40 pool to
    40/60 = 0.667, not the mean 0.625 of the rates)."""
    month = dt.date(2026, 3, 1)
    one = q.funnel_stages(snap, Filters(start_month=month, end_month=month))
    mart = _frame(
        snap,
        "SELECT * FROM marts.mart_funnel WHERE funnel = 'lifecycle' AND basis = "
        "'funnel_cohort' AND dimension = 'all' AND cohort_month = ? ORDER BY stage_order",
        [month],
    )
    assert len(one) == len(mart) > 0
    assert list(one["entered"]) == list(mart["entered"])
    assert list(one["converted"]) == list(mart["converted"])
    for got, want in zip(one["conversion_rate"], mart["conversion_rate"], strict=True):
        assert _close(got, want, rel=1e-3)

    start, end = dt.date(2026, 1, 1), dt.date(2026, 6, 1)
    pooled = q.funnel_stages(snap, Filters(start_month=start, end_month=end))
    rows = _frame(
        snap,
        "SELECT * FROM marts.mart_funnel WHERE funnel = 'lifecycle' AND basis = "
        "'funnel_cohort' AND dimension = 'all' AND cohort_month BETWEEN ? AND ?",
        [start, end],
    )
    sums = rows.groupby("stage_order")[["entered", "converted"]].sum().sort_index()
    assert list(pooled["entered"]) == list(sums["entered"])
    assert list(pooled["converted"]) == list(sums["converted"])
    for got, (_, row) in zip(pooled["conversion_rate"], sums.iterrows(), strict=True):
        assert _close(got, row["converted"] / row["entered"] if row["entered"] else None)


def test_funnel_counts_never_grow_down_the_funnel(snap) -> None:
    """With basis funnel_cohort every stage count is at most the one above it, for the
    whole history and for an owner's cut."""
    owner = q.filter_options(snap)["owners"][0][0]
    for f in (ALL, Filters(owner=owner)):
        for funnel in ("lifecycle", "opportunity"):
            counts = q.funnel_stage_counts(q.funnel_stages(snap, f, funnel=funnel))
            assert not counts.empty
            records = list(counts["records"])
            assert records == sorted(records, reverse=True), (f, funnel, records)


def test_funnel_owner_filter_reads_the_owner_cut(snap) -> None:
    owner = q.filter_options(snap)["owners"][0][0]
    got = q.funnel_by_month(snap, Filters(owner=owner), basis="stage_cohort")
    want = _frame(
        snap,
        "SELECT count(*) AS n, sum(entered) AS entered FROM marts.mart_funnel WHERE funnel = "
        "'lifecycle' AND basis = 'stage_cohort' AND dimension = 'owner' "
        "AND dimension_value = ?",
        [owner],
    )
    assert len(got) == want["n"].iloc[0] > 0
    assert got["entered"].sum() == want["entered"].iloc[0]


# ------------------------------------------------------------------------ speed to lead


def test_speed_to_lead_by_owner_and_month_equals_the_mart(snap) -> None:
    """For every month, each owner's leads, median response, share within SLA (the mart
    rounds it to 4 places) and unworked leads equal mart_speed_to_lead's row."""
    mart = _frame(snap, "SELECT * FROM marts.mart_speed_to_lead")
    assert len(mart) > 0
    checked = 0
    for month in sorted(mart["month"].unique()):
        m = pd.Timestamp(month).date()
        got = q.speed_to_lead(snap, Filters(start_month=m, end_month=m), by="owner")
        want = mart[mart["month"] == month].set_index("owner_id")
        assert set(got["owner_id"]) == set(want.index), m
        for row in got.itertuples():
            w = want.loc[row.owner_id]
            assert row.leads == w["leads"]
            assert row.unworked_leads == w["unworked_leads"]
            assert _close(row.median_response_minutes, w["median_response_minutes"])
            assert round(row.share_within_sla, 4) == pytest.approx(w["share_within_sla"])
            checked += 1
    assert checked == len(mart)


def test_speed_to_lead_by_team_and_month_equals_the_team_mart(snap) -> None:
    """For every month, each team's leads, median response and unworked leads equal
    mart_speed_to_lead_by_team's row (the median over the team's leads, not of its owners'
    medians)."""
    mart = _frame(snap, "SELECT * FROM marts.mart_speed_to_lead_by_team")
    assert len(mart) > 0
    checked = 0
    for month in sorted(mart["month"].unique()):
        m = pd.Timestamp(month).date()
        got = q.speed_to_lead(snap, Filters(start_month=m, end_month=m), by="team")
        want = mart[mart["month"] == month].set_index("team")
        assert set(got["team"]) == set(want.index), m
        for row in got.itertuples():
            w = want.loc[row.team]
            assert row.leads == w["leads"] and row.unworked_leads == w["unworked_leads"]
            assert _close(row.median_response_minutes, w["median_response_minutes"])
            checked += 1
    assert checked == len(mart)


def test_speed_to_lead_groupings_add_up_to_the_total(snap) -> None:
    """Teams and segments partition the leads: their counts add up to the total, and the
    total equals the mart's leads over the whole history."""
    total = q.speed_to_lead(snap, ALL, by="total").iloc[0]
    mart_total = _frame(snap, "SELECT sum(leads) AS n FROM marts.mart_speed_to_lead")["n"][0]
    assert total["leads"] == mart_total
    assert q.speed_to_lead(snap, ALL, by="team")["leads"].sum() == mart_total
    assert q.speed_to_lead(snap, ALL, by="month")["leads"].sum() == mart_total
    by_segment = sum(
        int(q.speed_to_lead(snap, Filters(segment=s), by="total")["leads"].sum()) for s in SEGMENTS
    )
    assert by_segment == mart_total


def test_unworked_mqls_list_matches_the_alert_and_the_fact_table(snap) -> None:
    want = _frame(
        snap,
        "SELECT count(*) AS n FROM marts.fct_lead_responses "
        "WHERE is_unworked AND trigger_type = 'mql'",
    )["n"][0]
    listed = q.unworked_mqls(snap, ALL, limit=100_000)
    assert len(listed) == want
    alerts = q.alerts(snap).set_index("alert")["count"]
    assert alerts["MQLs never worked by sales"] == want
    assert q.speed_to_lead(snap, ALL, by="total")["unworked_mqls"][0] == want


# -------------------------------------------------------------------------- attribution


def test_attribution_by_channel_pools_the_mart_for_every_model(snap) -> None:
    """Whole history, every model and conversion type: per channel the sums of the mart's
    monthly conversions, revenue and spend, cost per conversion = spend / conversions and
    ROAS = revenue / spend; and the credits of the channels add up to the number of
    conversions (each conversion hands out exactly 1 under any model)."""
    mart = _frame(snap, "SELECT * FROM marts.mart_attribution_by_channel")
    models = list(q.attribution_models(snap)["model"])
    assert set(models) == set(mart["model"]) and models[0] == "first_touch"
    for model in models:
        for ctype in q.CONVERSION_TYPES:
            got = q.attribution_by_channel(snap, ALL, model, ctype).set_index("channel")
            rows = mart[(mart["model"] == model) & (mart["conversion_type"] == ctype)]
            want = rows.groupby("channel")[["conversions", "revenue", "spend"]].sum(min_count=1)
            assert set(got.index) == set(want.index)
            for channel, w in want.iterrows():
                g = got.loc[channel]
                assert _close(g["conversions"], w["conversions"])
                assert _close(g["revenue"], w["revenue"])
                assert _close(g["spend"], w["spend"])
                if w["spend"] and not pd.isna(w["spend"]):
                    assert _close(g["roas"], w["revenue"] / w["spend"])
            conversions = _frame(
                snap,
                "SELECT count(DISTINCT conversion_id) AS n FROM marts.fct_attribution "
                "WHERE model = ? AND conversion_type = ?",
                [model, ctype],
            )["n"][0]
            assert got["conversions"].sum() == pytest.approx(conversions, rel=1e-9)


def test_attribution_by_segment_adds_up_to_the_channel_mart(snap) -> None:
    """With a segment filter the credits come from fct_attribution: the four segments'
    conversions and revenue per channel add up to the mart's (w_shaped, opportunities, the
    last twelve months), and spend is left unknown (not split by segment)."""
    months = _months(snap)
    f = Filters(start_month=months[-12], end_month=months[-1])
    whole = q.attribution_by_channel(snap, f, "w_shaped", "opportunity_created")
    parts = pd.concat(
        q.attribution_by_channel(
            snap,
            Filters(f.start_month, f.end_month, segment=s),
            "w_shaped",
            "opportunity_created",
        )
        for s in SEGMENTS
    )
    assert parts["spend"].isna().all()
    summed = parts.groupby("channel")[["conversions", "revenue"]].sum()
    summed = summed.reindex(whole["channel"]).fillna(0.0)  # a channel with spend only
    for row in whole.itertuples():
        assert _close(summed.loc[row.channel, "conversions"], row.conversions)
        assert _close(summed.loc[row.channel, "revenue"], row.revenue)
    by_month = pd.concat(
        q.attribution_by_month(
            snap,
            Filters(f.start_month, f.end_month, segment=s),
            "w_shaped",
            "opportunity_created",
        )
        for s in SEGMENTS
    )
    assert by_month["conversions"].sum() == pytest.approx(whole["conversions"].sum())


def test_channel_filter_keeps_only_that_channel(snap) -> None:
    got = q.attribution_by_channel(snap, Filters(channel="Paid Search"), "linear", "closed_won")
    assert list(got["channel"]) == ["Paid Search"]
    full = q.attribution_by_channel(snap, ALL, "linear", "closed_won").set_index("channel")
    assert _close(got["conversions"][0], full.loc["Paid Search", "conversions"])


def test_model_comparison_sets_two_models_side_by_side(snap) -> None:
    """Columns _a and _b are the two models' channel figures, the shift is b - a, and since
    both hand out one credit per conversion the shifts cancel out over the channels."""
    cmp = q.model_comparison(snap, ALL, "opportunity_created", "first_touch", "markov")
    a = q.attribution_by_channel(snap, ALL, "first_touch", "opportunity_created")
    b = q.attribution_by_channel(snap, ALL, "markov", "opportunity_created")
    cmp = cmp.set_index("channel")
    for row in a.itertuples():
        assert _close(cmp.loc[row.channel, "conversions_a"], row.conversions)
    for row in b.itertuples():
        assert _close(cmp.loc[row.channel, "conversions_b"], row.conversions)
    assert (cmp["conversions_shift"] == cmp["conversions_b"] - cmp["conversions_a"]).all()
    assert cmp["conversions_shift"].sum() == pytest.approx(0, abs=1e-6)
    assert cmp["conversions_shift"].abs().sum() > 0  # the models do disagree somewhere


def test_campaigns_and_spend_pool_the_marts(snap) -> None:
    """Campaigns: each row's sums over the months of mart_attribution_by_campaign, ROAS =
    revenue / spend. Spend by month: the channel mart's spend, the same under every model,
    adding up to the channel page's spend."""
    got = q.attribution_by_campaign(snap, ALL, "w_shaped", "closed_won", limit=1000)
    mart = _frame(
        snap,
        "SELECT campaign_key, sum(conversions) AS conversions, sum(revenue) AS revenue, "
        "sum(spend) AS spend FROM marts.mart_attribution_by_campaign WHERE model = "
        "'w_shaped' AND conversion_type = 'closed_won' GROUP BY 1 "
        "HAVING sum(conversions) > 0 OR sum(spend) > 0",
    ).set_index("campaign_key")
    assert len(got) == len(mart) > 0
    for row in got.itertuples():
        assert _close(row.conversions, mart.loc[row.campaign_key, "conversions"])
        assert _close(row.revenue, mart.loc[row.campaign_key, "revenue"])
        assert _close(row.spend, mart.loc[row.campaign_key, "spend"])
        if row.spend:
            assert _close(row.roas, row.revenue / row.spend)
    revenue = list(got["revenue"].fillna(0))
    assert revenue == sorted(revenue, reverse=True)

    linear = q.spend_by_month(snap, ALL, "linear", "closed_won")
    shapley = q.spend_by_month(snap, ALL, "shapley", "closed_won")
    key = ["month", "channel"]
    both = linear.merge(shapley, on=key, suffixes=("_l", "_s"))
    assert len(both) == len(linear) > 0
    assert all(_close(a, b) for a, b in zip(both["spend_l"], both["spend_s"], strict=True))
    channel_spend = q.attribution_by_channel(snap, ALL, "linear", "closed_won")["spend"].sum()
    assert linear["spend"].sum() == pytest.approx(channel_spend) and channel_spend > 0


def test_winning_paths_are_the_marts_top_paths_per_segment(snap) -> None:
    got = q.winning_paths(snap, ALL, "closed_won", top=3)
    want = _frame(
        snap,
        "SELECT segment, winning_rank, path, conversions FROM "
        "marts.mart_attribution_paths_by_segment WHERE conversion_type = 'closed_won' AND "
        "winning_rank <= 3 ORDER BY segment, winning_rank",
    )
    assert len(got) == len(want) > 0
    assert list(got["path"]) == list(want["path"])
    assert got.groupby("segment")["winning_rank"].max().le(3).all()
    one = q.winning_paths(snap, Filters(segment="Enterprise"), "closed_won", top=3)
    assert set(one["segment"]) == {"Enterprise"}  # seed segments' label, as everywhere


# ----------------------------------------------------------------------------- velocity


def test_velocity_equals_the_mart_and_the_drivers_add_up(snap) -> None:
    """The 'all' rows month by month; where the previous month exists the four driver
    contributions sum to velocity_change (log-mean Divisia: an exact split)."""
    got = q.velocity_by_month(snap, ALL)
    want = _frame(
        snap,
        "SELECT month, velocity_per_day, velocity_change FROM marts.mart_pipeline_velocity "
        "WHERE dimension = 'all' ORDER BY month",
    )
    assert len(got) == len(want) == 24
    assert all(
        _close(a, b) for a, b in zip(got["velocity_per_day"], want["velocity_per_day"], strict=True)
    )
    parts = got[list(q.VELOCITY_DRIVERS)].sum(axis=1, min_count=4)
    complete = got["velocity_change"].notna() & parts.notna()
    assert complete.sum() >= 12
    for total, change in zip(parts[complete], got.loc[complete, "velocity_change"], strict=True):
        assert total == pytest.approx(change, rel=1e-6, abs=1e-6)


def test_velocity_breakdown_is_the_marts_cut(snap) -> None:
    month = dt.date(2026, 9, 1)
    for dimension in ("channel", "segment", "owner"):
        got = q.velocity_breakdown(snap, month, dimension)
        want = _frame(
            snap,
            "SELECT dimension_value, velocity_per_day FROM marts.mart_pipeline_velocity "
            "WHERE dimension = ? AND month = ?",
            [dimension, month],
        ).set_index("dimension_value")
        assert len(got) == len(want) > 0
        for row in got.itertuples():
            assert _close(row.velocity_per_day, want.loc[row.dimension_value, "velocity_per_day"])


# ------------------------------------------------------------------ LTV, retention, churn


def test_ltv_by_channel_equals_the_mart_and_segments_add_up(snap) -> None:
    """No filter: mart_ltv_by_channel itself. By segment (from fct_account_ltv): the four
    segments' customers and lifetime value per channel add up to the mart's."""
    got = q.ltv_by_channel(snap, ALL).set_index("acquisition_channel")
    want = _frame(snap, "SELECT * FROM marts.mart_ltv_by_channel").set_index("acquisition_channel")
    assert set(got.index) == set(want.index)
    for channel, w in want.iterrows():
        assert got.loc[channel, "customers_acquired"] == w["customers_acquired"]
        assert _close(got.loc[channel, "lifetime_value"], w["lifetime_value"])
        assert _close(got.loc[channel, "cac"], w["cac"])
    parts = pd.concat(q.ltv_by_channel(snap, Filters(segment=s)) for s in SEGMENTS)
    summed = parts.groupby("acquisition_channel")[["customers_acquired", "lifetime_value"]].sum()
    acquired = want[want["customers_acquired"] > 0]
    assert set(summed.index) == set(acquired.index)
    for channel, w in acquired.iterrows():
        assert summed.loc[channel, "customers_acquired"] == w["customers_acquired"]
        assert _close(summed.loc[channel, "lifetime_value"], w["lifetime_value"])


def test_churn_risk_and_totals_count_the_same_customers(snap) -> None:
    totals = q.ltv_totals(snap, ALL).iloc[0]
    want = _frame(
        snap,
        "SELECT count(*) FILTER (WHERE customer_status = 'customer') AS customers, "
        "count(*) FILTER (WHERE churn_risk = 'high') AS high FROM marts.fct_account_ltv",
    ).iloc[0]
    assert totals["customers"] == want["customers"] > 0
    assert totals["high_risk_customers"] == want["high"]
    for by in ("segment", "channel"):
        assert q.churn_risk(snap, ALL, by=by)["customers"].sum() == want["customers"]
    by_cs = q.ltv_by_channel_and_segment(snap, ALL)
    assert by_cs["customers"].sum() == q.ltv_by_channel(snap, ALL)["customers_acquired"].sum()
    risky = q.churn_risk_accounts(snap, ALL, limit=10_000)
    assert set(risky["churn_risk"]) <= {"high", "medium"}
    assert list(risky["churn_risk_score"]) == sorted(risky["churn_risk_score"], reverse=True)


def test_retention_reads_the_curves_and_cohorts(snap) -> None:
    curves = q.retention_curves(snap, ALL)
    assert (
        len(curves) == _frame(snap, "SELECT count(*) AS n FROM marts.mart_retention_curve")["n"][0]
    )
    for _, seg in curves.groupby("segment"):
        survival = list(seg.sort_values("tenure_days")["survival"])
        assert survival == sorted(survival, reverse=True)  # Kaplan-Meier never rises
    one = q.retention_curves(snap, Filters(segment="SMB"))
    assert set(one["segment"]) == {"All", "SMB"}
    cohorts = q.cohort_retention(snap, ALL)
    n = _frame(snap, "SELECT count(*) AS n FROM marts.mart_cohort_retention WHERE segment = 'All'")[
        "n"
    ][0]
    assert len(cohorts) == n > 0


# -------------------------------------------------------------------------- data health


def test_data_health_counts_equal_the_warehouse_the_build_came_from(snap, live) -> None:
    """Checks: every check the run recorded, with an owner each. Quarantine: the snapshot's
    counts per table equal the rows in the warehouse's quarantine tables and the loads'
    rows_quarantined. Syncs: one latest run per shipped sync, with the counts the warehouse
    logged."""
    checks = q.checks(snap)
    assert len(checks) > 100 and (checks["owner"].fillna("") != "").all()
    summary = q.check_summary(snap)
    assert summary["checks"].sum() == len(checks)

    quarantine = q.quarantine(snap).groupby("table_name")["rows"].sum()
    tables = [
        r[0]
        for r in live.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'quarantine'"
        ).fetchall()
    ]
    for table in tables:
        n = live.execute(f'SELECT count(*) FROM quarantine."{table}"').fetchone()[0]
        assert quarantine.get(table, 0) == n, table
    loads = q.loads(snap)
    assert loads["rows_quarantined"].sum() == quarantine.sum() > 0

    latest = q.sync_latest(snap)
    runs = (
        live.execute(
            "SELECT sync_name, succeeded FROM reverse_etl._sync_runs QUALIFY row_number() OVER "
            "(PARTITION BY sync_name ORDER BY started_at DESC) = 1"
        )
        .df()
        .set_index("sync_name")
    )
    assert set(latest["sync_name"]) == set(runs.index) and len(runs) >= 5
    for row in latest.itertuples():
        assert row.succeeded == runs.loc[row.sync_name, "succeeded"]
    assert q.sync_history(snap)["succeeded"].sum() >= latest["succeeded"].sum() > 0
    dead = live.execute("SELECT count(*) FROM reverse_etl._sync_dead_letter").fetchone()[0]
    assert len(q.sync_rejects(snap, limit=100_000)) == dead

    alerts = q.alerts(snap).set_index("alert")["count"]
    assert alerts["Quarantined source rows"] == quarantine.sum()
    assert alerts["Checks that warned or failed"] == (checks["status"] != "passed").sum()
    unowned = snap.execute(
        "SELECT count(*) FROM marts.fct_lead_responses WHERE owner_id IS NULL"
    ).fetchone()[0]
    assert alerts["Leads without an owner (assignment failures)"] == unowned


def test_every_metric_on_every_page_has_its_dbt_definition(snap, published) -> None:
    """Each (table, column) a page links to has a non-empty text in _release.definitions,
    and it is the text of the dbt manifest the build ran with (one source)."""
    import json

    from dashboard.views import (
        attribution,
        data_health,
        funnel,
        ltv,
        speed_to_lead,
        spend,
        velocity,
    )

    defs = {
        (r.table_name, r.column_name or ""): r.description for r in q.definitions(snap).itertuples()
    }
    from orchestration.dbt_project import DBT_PROJECT_DIR

    nodes = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())["nodes"]
    nodes = nodes.values()
    manifest = {}
    for node in nodes:
        if node.get("resource_type") == "model":
            manifest[(node["name"], "")] = (node.get("description") or "").strip()
            for col in node.get("columns", {}).values():
                manifest[(node["name"], col["name"])] = (col.get("description") or "").strip()
    pages = (attribution, data_health, funnel, ltv, spend, speed_to_lead, velocity)
    missing = [(page.__name__, t) for page in pages for t in page.TERMS if not defs.get(t)]
    assert not missing, missing
    for page in pages:
        for t in page.TERMS:
            assert defs[t] == manifest[t], t


# ----------------------------------------------------------------- the snapshot, read-only


def test_reader_is_read_only_and_follows_a_new_publish(published, tmp_path: Path) -> None:
    """The reader refuses writes, says what to run when there is no snapshot, and after the
    publisher renames a new build over the file the next page run sees the new build (its
    cache key changes) while nothing is reopened when the file did not change."""
    from dashboard.snapshot import SnapshotMissing, SnapshotReader

    missing = SnapshotReader(tmp_path / "none.duckdb")
    with pytest.raises(SnapshotMissing, match="revloop run"):
        missing.current()

    path = tmp_path / "revloop_published.duckdb"
    shutil.copyfile(published["snapshot"], path)
    reader = SnapshotReader(path)
    con, first = reader.current()
    with pytest.raises(duckdb.Error):
        con.execute("CREATE TABLE marts.x AS SELECT 1")
    assert reader.current()[0] is con  # unchanged file: the same connection
    keep_open = duckdb.connect(str(path), read_only=True)  # another reader of the old file

    nxt = tmp_path / "next.duckdb"
    shutil.copyfile(published["snapshot"], nxt)
    with duckdb.connect(str(nxt)) as w:
        w.execute("UPDATE _release.build SET build_id = 'next-build'")
        w.execute("CHECKPOINT")
    nxt.replace(path)
    con2, second = reader.current()
    assert second.build_id == "next-build" and second.key != first.key
    assert con2 is not con
    # the page still running on the old connection finishes on the old build
    assert con.execute("SELECT build_id FROM _release.build").fetchone()[0] == first.build_id
    keep_open.close()
    reader.close()


def test_cli_serves_the_snapshot_beside_the_warehouse_never_the_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """``revloop dashboard`` resolves revloop_published.duckdb beside REVLOOP_WAREHOUSE (the
    publisher's rule), binds 127.0.0.1 only, and refuses to serve the working warehouse."""
    import argparse

    from orchestration.cli import dashboard as cli
    from orchestration.settings import Settings

    warehouse = tmp_path / "wh" / "revloop.duckdb"
    monkeypatch.setenv("REVLOOP_WAREHOUSE", str(warehouse))
    settings = Settings.from_env()
    args = argparse.Namespace(port=8599, snapshot=None)
    snapshot = cli.dashboard_snapshot(args, settings)
    assert snapshot == (tmp_path / "wh" / "revloop_published.duckdb").resolve()
    line = cli.streamlit_command(8599, snapshot)
    assert line[line.index("--server.address") + 1] == "127.0.0.1"
    assert line[-2:] == ["--snapshot", str(snapshot)]

    args = argparse.Namespace(port=8599, snapshot=warehouse)
    assert cli.cmd_dashboard(args) != 0
    assert "working warehouse" in capsys.readouterr().err


def test_app_without_a_snapshot_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the first gated run there is nothing to show: the app (run in-process by
    Streamlit's AppTest) says where it looked and to run `revloop run`, and raises nothing."""
    from streamlit.testing.v1 import AppTest

    import dashboard

    monkeypatch.setenv("REVLOOP_SNAPSHOT", str(tmp_path / "revloop_published.duckdb"))
    app = AppTest.from_file(str(Path(dashboard.__file__).with_name("app.py")), default_timeout=60)
    app.run()
    assert not app.exception
    text = " ".join(w.value for w in app.warning)
    assert "no published snapshot" in text and "revloop run" in text, text
