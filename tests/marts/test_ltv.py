"""Customer status, Kaplan-Meier retention, predicted LTV, churn risk, cohort retention and
LTV:CAC, against numbers worked on paper (the hand-made world of revenue_world.py) and
against lifelines' Kaplan-Meier estimator.

The Enterprise segment (as of 2026-10-31; each account won 1,000,000 JPY at its start):
  e1 started 500 days ago, renewal lost after 100 days  -> churned at tenure 100
  e2 started 200 days ago                               -> censored at 200
  e3 started 450 days ago, renewal lost after 300 days  -> churned at 300
  e4 started 300 days ago                               -> censored at 300
  e5 started 400 days ago, term ended 35 days ago (grace 60) -> still a customer, censored at 400
Kaplan-Meier, S(t) = product of (1 - d/n):
  t = 100: n = 5, d = 1 -> S = 0.8
  t = 200: n = 4, censored 1 -> S = 0.8
  t = 300: n = 3, d = 1 (and 1 censored, still at risk at 300) -> S = 0.8 x 2/3 = 0.5333
  t = 400: n = 1, censored 1 -> S = 0.5333
Annual churn (trailing twelve months): active 365 days ago were e3 and e5; e3 churned since
  -> 1/2, hazard h = ln 2 / 365 per day beyond the last tenure (400).
e2's expected remaining lifetime over the 5-year horizon H = 1826.25 days, at tenure a = 200:
  area(200) = 100 x 1 + 100 x 0.8 = 180
  area(2026.25) = [100 + 200 x 0.8 + 100 x 0.5333] + 0.5333 x (1 - exp(-h x 1626.25)) / h
                = 313.33 + 268.04 = 581.38
  E = (581.38 - 180) / S(200) = 401.38 / 0.8 = 501.72 days = 1.3736 years
  predicted_ltv = 1,000,000 x 0.8 x 1.3736 = 1,098,911 JPY;
  lifetime_value = 1,000,000 x 0.8 + 1,098,911 = 1,898,911 JPY
"""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from lifelines import KaplanMeierFitter

from tests.marts.revenue_world import AS_OF_DAY, days_before_as_of

H = 5 * 365.25
HAZARD = math.log(2) / 365
S300 = 0.8 * 2 / 3
AREA_200 = 180.0
AREA_END = 100 + 200 * 0.8 + 100 * S300 + S300 * (1 - math.exp(-HAZARD * (200 + H - 400))) / HAZARD
E2_YEARS = (AREA_END - AREA_200) / 0.8 / 365.25


def _account(con, account_id: str) -> dict:
    rel = con.execute("select * from marts.fct_account_ltv where account_id = ?", [account_id])
    names = [d[0] for d in rel.description]
    return dict(zip(names, rel.fetchall()[0], strict=True))


def test_kaplan_meier_with_censoring_by_hand(revenue_con) -> None:
    rows = revenue_con.execute(
        "select tenure_days, at_risk, churned, censored, survival from marts.mart_retention_curve"
        " where segment = 'Enterprise' order by tenure_days"
    ).fetchall()
    expected = [
        (100, 5, 1, 0, 0.8),
        (200, 4, 0, 1, 0.8),
        (300, 3, 1, 1, S300),
        (400, 1, 0, 1, S300),
    ]
    assert [r[:4] for r in rows] == [e[:4] for e in expected]
    assert [r[4] for r in rows] == pytest.approx([e[4] for e in expected], abs=1e-12)


def test_kaplan_meier_matches_lifelines_for_every_segment(revenue_con) -> None:
    spells = revenue_con.execute(
        """
        select coalesce(s.segment, 'Unknown'), sp.tenure_days, sp.churned_at is not null
        from intermediate.int_customer_spells sp
        left join marts.dim_accounts a on a.account_id = sp.account_id
        left join seeds.segments s on a.employee_count between s.min_employees
            and coalesce(s.max_employees, a.employee_count)
        """
    ).fetchall()
    curve = revenue_con.execute(
        "select segment, tenure_days, at_risk, survival from marts.mart_retention_curve"
    ).fetchall()
    segments = {s for s, _, _ in spells} | {"All"}
    assert {"Enterprise", "SMB", "Mid-Market", "All"} <= segments
    assert {r[0] for r in curve} == segments
    for segment in segments:
        mine = [(t, e) for s, t, e in spells if segment in ("All", s)]
        fitter = KaplanMeierFitter().fit([t for t, _ in mine], [e for _, e in mine])
        points = sorted((t, n, s) for seg, t, n, s in curve if seg == segment)
        times = [t for t, _, _ in points]
        theirs = fitter.survival_function_at_times(times).to_list()
        assert [s for _, _, s in points] == pytest.approx(theirs, abs=1e-12), segment
        at_risk = fitter.event_table["at_risk"]
        assert [n for _, n, _ in points] == [int(at_risk.loc[t]) for t in times], segment
    assert sum(1 for _, _, e in spells if e) >= 8  # the random accounts really churn


def test_annual_churn_rate_is_trailing_twelve_months(revenue_con) -> None:
    (year_ago, churned, annual, hazard) = revenue_con.execute(
        "select distinct customers_year_ago, churned_last_year, annual_churn_rate, hazard_per_day"
        " from marts.mart_retention_curve where segment = 'Enterprise'"
    ).fetchall()[0]
    assert (year_ago, churned) == (2, 1)
    assert annual == pytest.approx(0.5)
    assert hazard == pytest.approx(HAZARD, rel=1e-12)


def test_predicted_ltv_from_the_curve_by_hand(revenue_con) -> None:
    e2 = _account(revenue_con, "e2")
    assert e2["customer_status"] == "customer" and e2["tenure_days"] == 200
    assert e2["retention_curve_segment"] == "Enterprise"
    assert e2["current_arr"] == 1_000_000
    assert e2["expected_remaining_lifetime_years"] == pytest.approx(E2_YEARS, rel=1e-9)
    assert abs(E2_YEARS - 1.3736) < 1e-4  # the paper figure of the module docstring
    assert e2["predicted_ltv"] == round(1_000_000 * 0.8 * E2_YEARS)
    assert e2["lifetime_value"] == round(800_000 + 1_000_000 * 0.8 * E2_YEARS)


def test_churned_accounts_have_no_future_value(revenue_con) -> None:
    for account_id in ("e1", "e3"):
        row = _account(revenue_con, account_id)
        assert (row["customer_status"], row["churn_type"], row["is_customer"]) == (
            "churned",
            "lost_renewal",
            False,
        )
        assert row["predicted_ltv"] == 0 and row["current_arr"] == 0
        assert row["lifetime_value"] == 800_000  # what they paid, at 80 % gross margin
        assert row["churn_risk"] is None and row["churn_risk_score"] is None


def test_prospects_have_no_prediction(revenue_con) -> None:
    row = _account(revenue_con, "acc_p")
    assert row["customer_status"] == "prospect" and row["revenue_to_date"] == 0
    assert row["predicted_ltv"] is None and row["lifetime_value"] is None
    assert row["churn_risk"] is None


def test_a_late_renewal_inside_the_grace_period_is_still_a_customer(revenue_con) -> None:
    """e5's term ended 35 days ago and no renewal is won yet: inside the 60-day grace it is
    a customer, keeps the ARR of its last term, and the overdue renewal is a risk reason."""
    e5 = _account(revenue_con, "e5")
    assert e5["is_customer"] is True and e5["current_arr"] == 1_000_000
    ended = (days_before_as_of(400) + dt.timedelta(days=365)).date().isoformat()
    assert f"Renewal close: term ended {ended}, renewal overdue" in e5["churn_risk_reasons"]


def test_churn_risk_reasons_a_salesperson_can_read(revenue_con) -> None:
    """e2: engagement fell from 10 to 2 touches (30 points) and an expansion was lost 30
    days ago (20): 50 -> high. acc_v: 12 -> 5 touches (30) -> medium. e4: never engaged (40)
    and its term ends in 65 days (20): 60 -> high, top reason the silence."""
    e2 = _account(revenue_con, "e2")
    lost_on = days_before_as_of(30).date().isoformat()
    assert e2["churn_risk_score"] == 50 and e2["churn_risk"] == "high"
    assert e2["churn_risk_reasons"] == (
        "Engagement decline: 2 touches in the last 90 days vs 10 in the 90 days before; "
        f"Lost expansion: expansion lost on {lost_on}"
    )
    assert e2["churn_risk_top_reason"].startswith("Engagement decline: 2 touches")
    assert e2["churn_risk_top_reason_code"] == "engagement_decline"
    acc_v = _account(revenue_con, "acc_v")
    assert (acc_v["churn_risk_score"], acc_v["churn_risk"]) == (30, "medium")
    assert (acc_v["recent_engagement_events"], acc_v["prior_engagement_events"]) == (5, 12)
    e4 = _account(revenue_con, "e4")
    term_end = (AS_OF_DAY + dt.timedelta(days=65)).date().isoformat()
    assert (e4["churn_risk_score"], e4["churn_risk"]) == (60, "high")
    assert e4["churn_risk_reasons"] == (
        "No recent touches: no engagement on record; "
        f"Renewal close: term ends {term_end}, no renewal won yet"
    )
    assert e4["churn_risk_top_reason_code"] == "no_recent_touches"


def test_cohort_retention_of_one_customer_by_hand(revenue_con) -> None:
    """e1 started 2025-06-18 and churned 2025-09-26: retained at the ends of June, July and
    August (months 0-2), gone from September on; its ARR goes with it (NRR 0)."""
    rows = revenue_con.execute(
        "select months_since_start, customers, retained_customers, logo_retention,"
        " gross_revenue_retention, net_revenue_retention from marts.mart_cohort_retention"
        " where segment = 'Enterprise' and cohort_month = date '2025-06-01'"
        " order by months_since_start limit 5"
    ).fetchall()
    assert [r[:4] for r in rows] == [
        (0, 1, 1, 1.0),
        (1, 1, 1, 1.0),
        (2, 1, 1, 1.0),
        (3, 1, 0, 0.0),
        (4, 1, 0, 0.0),
    ]
    assert [r[4] for r in rows] == [1.0, 1.0, 1.0, 0.0, 0.0]
    assert [r[5] for r in rows] == [1.0, 1.0, 1.0, 0.0, 0.0]


def test_retention_stays_in_the_unit_interval_and_never_rises(revenue_con) -> None:
    rows = revenue_con.execute(
        "select segment, cohort_month, months_since_start, logo_retention,"
        " gross_revenue_retention from marts.mart_cohort_retention"
        " order by segment, cohort_month, months_since_start"
    ).fetchall()
    assert len(rows) > 50
    previous: dict = {}
    for segment, cohort, _, logo, grr in rows:
        assert 0 <= logo <= 1 and (grr is None or 0 <= grr <= 1 + 1e-12)
        key = (segment, cohort)
        assert logo <= previous.get(key, 1.0) + 1e-12
        previous[key] = logo
    survival = revenue_con.execute(
        "select segment, survival from marts.mart_retention_curve order by segment, tenure_days"
    ).fetchall()
    last: dict = {}
    for segment, s in survival:
        assert 0 <= s <= last.get(segment, 1.0) + 1e-12
        last[segment] = s


def test_ltv_to_cac_by_acquisition_channel(revenue_con) -> None:
    """Paid Search acquired e2 (an ad click before its first deal) and acc_v (a search visit
    before its first deal); search spend was 1,000,000 JPY (counted once, though the
    attribution mart repeats it on 2 models x 2 conversion types) -> CAC 500,000 JPY each.
    Paid Social spent 15,200 JPY and acquired nobody: a row, no CAC."""
    rel = revenue_con.execute("select * from marts.mart_ltv_by_channel")
    names = [d[0] for d in rel.description]
    by_channel = {r[0]: dict(zip(names, r, strict=True)) for r in rel.fetchall()}
    search = by_channel["Paid Search"]
    assert search["customers_acquired"] == 2 and search["spend"] == 1_000_000
    assert search["cac"] == 500_000
    lifetimes = [_account(revenue_con, a)["lifetime_value"] for a in ("e2", "acc_v")]
    assert search["avg_lifetime_value"] == pytest.approx(sum(lifetimes) / 2)
    assert search["ltv_to_cac"] == pytest.approx(sum(lifetimes) / 2 / 500_000)
    unknown = by_channel["Unknown"]  # the random accounts: no touch, no spend
    assert unknown["spend"] is None and unknown["cac"] is None and unknown["ltv_to_cac"] is None
    social = by_channel["Paid Social"]  # 15,200 JPY, nobody acquired
    assert social["spend"] == pytest.approx(15_200) and social["customers_acquired"] == 0
    assert social["cac"] is None and social["avg_lifetime_value"] is None


def test_one_definition_of_customer_is_read_everywhere(revenue_world_build: dict) -> None:
    """dim_accounts, fct_account_ltv and the CRM fields read int_account_customer_status, and
    nothing else decides who is a customer."""
    manifest = json.loads((revenue_world_build["target"] / "manifest.json").read_text())
    status = "model.revloop.int_account_customer_status"
    readers = {
        n["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and status in n["depends_on"]["nodes"]
    }
    assert {"dim_accounts", "fct_account_ltv", "dim_person_crm_fields"} <= readers
    dim = manifest["nodes"]["model.revloop.dim_accounts"]
    assert "has_customer_type" not in dim["raw_code"] and "won_accounts" not in dim["raw_code"]
