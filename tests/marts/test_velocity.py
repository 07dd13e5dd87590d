"""Pipeline velocity and its driver decomposition, and the opportunity facts it stands on,
against numbers worked on paper (the hand-made world of conftest.py, window = 1 month).

Owner `uv` (only the velocity deals; v10 is lost before qualifying, v11 is a renewal):

January 2026, measured Feb 1:
  open qualified: v03 (qualified Jan 14, won Feb 1 12:00), v04 (qualified Jan 5)  -> N0 = 2
  closed in January after qualifying: v01 won 100,000 JPY in 40 days (Dec 1 -> Jan 10),
  v02 lost                               -> S0 = 100,000, W0 = 1/2, C0 = 40
  V0 = 2 x 100,000 x 0.5 / 40 = 2,500 JPY per day
February, measured Mar 1:
  open: v06..v09 (qualified Feb 10)                                             -> N1 = 4
  closed: v03 won 100,000 in 20 days (Jan 12 -> Feb 1), v04 won 200,000 in 40 days
  (Jan 2 -> Feb 11), v05 lost            -> S1 = 150,000, W1 = 2/3, C1 = 30
  V1 = 4 x 150,000 x (2/3) / 30 = 13,333.33
Change 10,833.33 = L x ln(V1 / V0) with the log-mean L = 10,833.33 / ln(5.3333) = 6,471.62:
  open opportunities  L ln(4/2)     = 4,485.78
  deal size           L ln(1.5)     = 2,624.01
  win rate            L ln(4/3)     = 1,861.77
  cycle               -L ln(30/40)  = 1,861.77   (deals closed faster: positive)
  sum                               = 10,833.33 = the change
March: nothing closes in the window, so no deal size, no velocity, no decomposition.
"""

from __future__ import annotations

import math

import pytest

from tests.marts.revenue_world import AS_OF, day

V0 = 2 * 100_000 * 0.5 / 40
V1 = 4 * 150_000 * (2 / 3) / 30
L = (V1 - V0) / math.log(V1 / V0)


def _row(con, month: str, dimension: str = "owner", value: str = "uv") -> dict:
    rel = con.execute(
        "select * from marts.mart_pipeline_velocity "
        "where month = ?::date and dimension = ? and dimension_value = ?",
        [month, dimension, value],
    )
    names = [d[0] for d in rel.description]
    rows = rel.fetchall()
    assert len(rows) == 1, rows
    return dict(zip(names, rows[0], strict=True))


def test_january_velocity_by_hand(revenue_con) -> None:
    jan = _row(revenue_con, "2026-01-01")
    assert (jan["open_opportunities"], jan["won_deals"], jan["lost_deals"]) == (2, 1, 1)
    assert jan["avg_deal_size"] == pytest.approx(100_000)
    assert jan["win_rate"] == pytest.approx(0.5)
    assert jan["avg_cycle_days"] == pytest.approx(40)
    assert jan["velocity_per_day"] == pytest.approx(V0, rel=1e-12)
    assert jan["dimension_label"] == "Vera Velocity"
    assert jan["is_complete_month"] is True


def test_february_change_splits_into_the_four_drivers_by_hand(revenue_con) -> None:
    feb = _row(revenue_con, "2026-02-01")
    assert (feb["open_opportunities"], feb["won_deals"], feb["lost_deals"]) == (4, 2, 1)
    assert feb["avg_deal_size"] == pytest.approx(150_000)
    assert feb["win_rate"] == pytest.approx(2 / 3)
    assert feb["avg_cycle_days"] == pytest.approx(30)
    assert feb["velocity_per_day"] == pytest.approx(V1, rel=1e-12)
    assert feb["previous_velocity_per_day"] == pytest.approx(V0, rel=1e-12)
    assert feb["velocity_change"] == pytest.approx(10_833.333333, rel=1e-9)
    expected = {
        "contribution_open_opportunities": L * math.log(2),  # 4,485.78
        "contribution_avg_deal_size": L * math.log(1.5),  # 2,624.01
        "contribution_win_rate": L * math.log(4 / 3),  # 1,861.77
        "contribution_cycle_days": -L * math.log(30 / 40),  # 1,861.77
    }
    for column, value in expected.items():
        assert feb[column] == pytest.approx(value, rel=1e-9), column
    assert sum(feb[c] for c in expected) == pytest.approx(feb["velocity_change"], rel=1e-12)


def test_a_month_without_wins_has_no_velocity_and_no_decomposition(revenue_con) -> None:
    mar = _row(revenue_con, "2026-03-01")
    assert mar["open_opportunities"] == 4
    assert (mar["won_deals"], mar["lost_deals"]) == (0, 0)
    assert mar["avg_deal_size"] is None and mar["velocity_per_day"] is None
    assert mar["contribution_win_rate"] is None and mar["velocity_change"] is None


def test_contributions_add_up_to_the_change_in_every_row(revenue_con) -> None:
    rows = revenue_con.execute(
        "select velocity_change, contribution_open_opportunities + contribution_avg_deal_size"
        " + contribution_win_rate + contribution_cycle_days from marts.mart_pipeline_velocity"
        " where contribution_win_rate is not null"
    ).fetchall()
    assert len(rows) >= 3
    for change, parts in rows:
        assert parts == pytest.approx(change, rel=1e-9, abs=1e-9)


def test_benchmarks_sit_next_to_the_actuals(revenue_con) -> None:
    feb = _row(revenue_con, "2026-02-01")
    assert (feb["benchmark_win_rate_low"], feb["benchmark_win_rate_high"]) == (0.2, 0.3)
    assert (feb["benchmark_cycle_days_low"], feb["benchmark_cycle_days_high"]) == (30, 90)


def test_renewals_and_unqualified_losses_stay_out(revenue_con) -> None:
    """v11 (a renewal won in January) and v10 (lost in Prospecting) would change January's
    deal size and win rate; opportunity_type cuts show only the velocity types."""
    types = {
        r[0]
        for r in revenue_con.execute(
            "select distinct dimension_value from marts.mart_pipeline_velocity"
            " where dimension = 'opportunity_type'"
        ).fetchall()
    }
    assert types == {"New Business", "Expansion"}
    (qualified,) = revenue_con.execute(
        "select is_qualified from marts.fct_opportunities where opportunity_id = 'v10'"
    ).fetchall()[0]
    assert qualified is False


def _opportunity(con, oid: str) -> dict:
    rel = con.execute("select * from marts.fct_opportunities where opportunity_id = ?", [oid])
    names = [d[0] for d in rel.description]
    return dict(zip(names, rel.fetchall()[0], strict=True))


def test_opportunity_facts_from_the_history(revenue_con) -> None:
    v01 = _opportunity(revenue_con, "v01")
    assert v01["sales_cycle_days"] == 40
    assert v01["qualified_at"] == day(2025, 12, 5)
    assert v01["closed_at"] == day(2026, 1, 10)
    # Prospecting -> Needs Analysis -> Closed Won: Qualification, Proposal/Price Quote and
    # Negotiation/Review were passed without a visit
    assert v01["skipped_stage_count"] == 3
    assert v01["days_in_current_stage"] is None  # closed
    assert (v01["owner_name"], v01["team"], v01["segment"]) == (
        "Vera Velocity",
        "Velocity Team",
        "Unknown",
    )
    assert _opportunity(revenue_con, "e1-nb")["segment"] == "Enterprise"
    v11 = _opportunity(revenue_con, "v11")
    # the renewal goes Prospecting -> Negotiation/Review -> Closed Won
    assert v11["opportunity_type"] == "Renewal" and v11["skipped_stage_count"] == 3


def test_first_touch_prefers_the_deal_people_over_the_account(revenue_con) -> None:
    """v01's person pv1 attended a webinar (Nov 1) though the account's first touch was a
    search visit (Oct 1); v02 has no linked person, so the account's first touch counts."""
    assert _opportunity(revenue_con, "v01")["first_touch_channel"] == "Webinar"
    v02 = _opportunity(revenue_con, "v02")
    assert v02["first_touch_channel"] == "Paid Search"
    assert v02["attributed_channel"] == v02["first_touch_channel"]  # until issue 19 lands


def test_stalled_deal_with_fresh_web_visits_reaches_the_payload(revenue_con) -> None:
    """v06 sits in Needs Analysis (stalled after 30 days) since Feb 10 and its account
    visited the site 2 days ago: alert on. The prospect's deal p1 sits in Prospecting since
    Sep 1 (stalled after 21 days) but its last visit was 30 days ago: stalled, no alert."""
    days = (AS_OF.date() - day(2026, 2, 10).date()).days  # calendar days, as in Salesforce
    v06 = _opportunity(revenue_con, "v06")
    assert v06["days_in_current_stage"] == days == 263
    assert v06["is_stalled"] and v06["recent_web_visit_days"] == 1
    assert v06["is_stalled_with_fresh_web_visits"] is True
    p1 = _opportunity(revenue_con, "p1")
    assert p1["is_stalled"] is True and p1["is_stalled_with_fresh_web_visits"] is False
    payload = dict(
        (r[0], r[1:])
        for r in revenue_con.execute(
            'select "Id", "Revloop_Days_In_Stage__c", "Revloop_Stalled_Web_Visits__c"'
            " from reverse_etl.sync_salesforce__opportunity"
        ).fetchall()
    )
    assert payload["v06"] == (263.0, True)
    assert payload["p1"] == (60.0, False)
    assert payload["v01"] == (None, False)  # closed: no days, no stale alert
