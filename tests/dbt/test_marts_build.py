"""Build the event log, lifecycle, scoring, revenue and reverse-ETL marts on the small
generated sample in a throw-away warehouse and check invariants against hand-derivable
numbers (counts reconcile to staging, decay recomputed in Python, stage order holds).

It reads the session's one build of the small sample (tests/dbt/conftest.py
``small_build``: every model and data test); a test that rebuilds copies it first.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.dbt.dbt_cli import run_dbt

# The sample's world ends on REFERENCE_END_DATE; the build is pinned to that night.
AS_OF = "2026-10-31 23:59:59"


@pytest.fixture(scope="module")
def warehouse(small_build: dict) -> Path:
    return small_build["db"]


@pytest.fixture(scope="module")
def con(warehouse: Path):
    connection = duckdb.connect(str(warehouse), read_only=True)
    yield connection
    connection.close()


def _one(con, sql: str):
    # fetchall, not fetchone: DuckDB 2.0 refuses new work on a connection with an
    # unfinished result
    return con.execute(sql).fetchall()[0]


def test_event_log_covers_every_source_and_keys_are_unique(con) -> None:
    rows, distinct_ids = _one(
        con, "select count(*), count(distinct event_id) from marts.fct_events"
    )
    assert rows > 1000
    assert rows == distinct_ids
    sql = "select distinct source_system from marts.fct_events"
    systems = {r[0] for r in con.sql(sql).fetchall()}
    assert systems == {"ga4", "marketo", "salesforce"}
    types = {r[0] for r in con.sql("select distinct event_type from marts.fct_events").fetchall()}
    for expected in (
        "page_view",
        "ad_click",
        "form_submission",
        "email_open",
        "lead_created",
        "mql",
        "inside_sales_call",
        "opportunity_created",
        "closed_won",
    ):
        assert expected in types, expected


def test_ga4_events_reconcile_to_staging(con) -> None:
    (staged,) = _one(
        con,
        "select count(*) from staging.stg_ga4__events "
        "where event_name in ('page_view', 'file_download', 'form_submit', 'login')",
    )
    (logged,) = _one(
        con,
        "select count(*) from marts.fct_events "
        "where source_system = 'ga4' and event_type <> 'ad_click'",
    )
    assert staged == logged


def test_stitched_cookie_events_belong_to_the_person(con) -> None:
    # every GA4 event of a cookie in the bridge carries that cookie's person, also the
    # anonymous ones before the identifying event
    (mismatched,) = _one(
        con,
        """
        select count(*) from marts.fct_events e
        join marts.bridge_person_identities b
          on b.source_system = 'ga4_cookie' and b.source_id = e.anonymous_id
        where e.source_system = 'ga4' and e.person_id is distinct from b.person_id
        """,
    )
    assert mismatched == 0


def test_lifecycle_is_monotone_and_funnel_narrows(con) -> None:
    leads, mqls, sals, sqls, opps, wins = _one(
        con,
        "select count(lead_at), count(mql_at), count(sal_at), count(sql_at), "
        "count(opportunity_at), count(won_at) from marts.fct_lifecycle_stages",
    )
    assert leads >= mqls >= sals >= sqls >= opps >= wins > 0
    (bad,) = _one(
        con,
        "select count(*) from marts.fct_lifecycle_stages where lead_at > mql_at or mql_at > sal_at "
        "or sal_at > sql_at or sql_at > opportunity_at or opportunity_at > won_at",
    )
    assert bad == 0


def test_behaviour_score_matches_decay_formula(con) -> None:
    """Recompute one person's behaviour score in Python from the scored events: ages in
    whole calendar days (UTC) from the event's date to the as-of date 2026-10-31."""
    person_id, stored = _one(
        con,
        "select person_id, behavior_score from marts.fct_lead_scores "
        "where behavior_score > 0 order by person_id limit 1",
    )
    events = con.execute(
        "select points, cast(occurred_at at time zone 'UTC' as date) "
        "from intermediate.int_behavior_events where person_id = ? "
        "and occurred_at <= timestamptz '2026-10-31 23:59:59+00'",
        [person_id],
    ).fetchall()
    as_of_date = dt.date(2026, 10, 31)
    expected = sum(points * 0.5 ** ((as_of_date - day).days / 30) for points, day in events)
    assert stored == pytest.approx(expected, abs=0.01)


def test_scores_decay_when_the_clock_moves(warehouse: Path, tmp_path: Path) -> None:
    """The same sample built at two as-of instants, one half-life (30 days) apart.

    On paper: no event happens after the world's end (AS_OF), so every scored event is
    exactly 30 days older at AS_OF + 30 days and counts 0.5^(30/30) = 1/2 as much; each
    person's behaviour score halves (up to the 2-decimal rounding of both builds: 0.01), the
    scored-at instant moves with the clock, and the fit score does not change.
    """
    later_wh = tmp_path / "later.duckdb"
    shutil.copyfile(warehouse, later_wh)
    later = "2026-11-30 23:59:59"
    built = run_dbt(
        ["run", "--select", "fct_lead_scores"], later_wh, tmp_path, {"as_of": later}, timeout=600
    )
    assert built.returncode == 0, built.stdout[-4000:]
    with duckdb.connect(str(later_wh), read_only=True) as con:
        con.execute(f"attach '{warehouse}' as earlier (read_only)")
        n, worse, fit_moved, stamps = con.execute(
            "select count(*),"
            " count(*) filter (where abs(l.behavior_score - e.behavior_score / 2) > 0.01),"
            " count(*) filter (where l.fit_score <> e.fit_score),"
            " count(distinct l.scored_at::varchar || '|' || e.scored_at::varchar)"
            " from marts.fct_lead_scores l"
            " join earlier.marts.fct_lead_scores e using (person_id)"
            " where e.behavior_score > 0"
        ).fetchone()
        (scored_at,) = con.execute(
            "select distinct scored_at from marts.fct_lead_scores"
        ).fetchone()
    assert n > 100 and worse == 0 and fit_moved == 0 and stamps == 1
    assert scored_at.isoformat() == "2026-11-30T23:59:59+00:00"


def test_scores_and_grades_are_in_range(con) -> None:
    bad, people = _one(
        con,
        "select count(*) filter (where score not between 0 and 100 "
        "or not regexp_full_match(grade, '[A-D][1-4]')), count(*) from marts.fct_lead_scores",
    )
    assert bad == 0 and people > 0


def test_speed_to_lead_mart_adds_up(con) -> None:
    (responses,) = _one(con, "select count(*) from marts.fct_lead_responses")
    leads, unworked = _one(
        con, "select sum(leads), sum(unworked_leads) from marts.mart_speed_to_lead"
    )
    (unworked_rows,) = _one(con, "select count(*) from marts.fct_lead_responses where is_unworked")
    assert responses == leads > 0
    assert unworked == unworked_rows


def test_opportunity_amounts_are_in_jpy(con) -> None:
    (wrong,) = _one(
        con,
        "select count(*) from marts.fct_opportunities where amount_original is not null "
        "and abs(amount - round(amount_original * rate_to_jpy, 0)) > 0.5",
    )
    (unconverted,) = _one(
        con,
        "select count(*) from marts.fct_opportunities "
        "where amount_original is not null and amount is null",
    )
    assert wrong == 0 and unconverted == 0


def test_revenue_to_date_reconciles_to_won_opportunities(con) -> None:
    (ltv_total,) = _one(con, "select sum(revenue_to_date) from marts.fct_account_ltv")
    (won_total,) = _one(
        con,
        "select sum(amount) from marts.fct_opportunities where is_won and account_id is not null "
        "and closed_at <= timestamptz '2026-10-31 23:59:59+00'",
    )
    assert ltv_total == pytest.approx(won_total)
    assert ltv_total > 0


def test_sync_payloads_are_keyed_and_respect_opt_outs(con) -> None:
    for table, key in [
        ("sync_salesforce__lead", '"Id"'),
        ("sync_salesforce__contact", '"Id"'),
        ("sync_salesforce__account", '"Id"'),
        ("sync_salesforce__campaign", '"Id"'),
        ("sync_hubspot__contact", "email"),
        ("sync_hubspot__company", "revloop_account_id"),
    ]:
        rows, keys = _one(con, f"select count(*), count(distinct {key}) from reverse_etl.{table}")
        assert rows == keys > 0, table
    # an opted-out Salesforce lead is never marked as consenting
    (leaks,) = _one(
        con,
        """
        select count(*) from reverse_etl.sync_salesforce__lead p
        join staging.stg_salesforce__leads l on l.lead_id = p."Id"
        where l.has_opted_out_of_email and p.has_consent
        """,
    )
    assert leaks == 0


def test_ad_clicks_carry_their_campaign(con) -> None:
    """Every GA4 ad click with a gclid names its Google Ads campaign (click_view maps each
    gclid), and the Meta / LinkedIn clicks of the sample carry a campaign from their UTM."""
    rows = con.execute(
        "select click_id_type, count(*), count(campaign_id), count(distinct campaign_system) "
        "from marts.fct_events where event_type = 'ad_click' group by 1 order by 1"
    ).fetchall()
    by_type = {r[0]: r[1:] for r in rows}
    assert set(by_type) == {"fbclid", "gclid", "li_fat_id"}
    for click_type, (clicks, with_campaign, systems) in by_type.items():
        assert clicks > 0 and with_campaign == clicks and systems == 1, click_type


def test_one_form_fill_is_one_event(con) -> None:
    """No person has a GA4 and a Marketo form submission within 10 minutes of each other:
    the second record of one submission was dropped (int_event_duplicates), and every
    dropped row points at an event that is in the log."""
    (doubles,) = _one(
        con,
        """
        select count(*) from marts.fct_events a
        join marts.fct_events b on a.person_id = b.person_id
          and a.event_type = 'form_submission' and b.event_type = 'form_submission'
          and a.source_system = 'ga4' and b.source_system = 'marketo'
          and abs(epoch(a.occurred_at) - epoch(b.occurred_at)) <= 600
        """,
    )
    (dropped, orphans) = _one(
        con,
        "select count(*), count(*) filter (where e.event_id is null) "
        "from intermediate.int_event_duplicates d "
        "left join marts.fct_events e on e.event_id = d.duplicate_of_event_id",
    )
    assert doubles == 0
    assert dropped > 0 and orphans == 0


def test_speed_to_lead_clock_never_starts_at_the_response(con) -> None:
    """The trigger of a lead is a form fill or a real MQL, never a moment derived from a
    sales touch: no trigger_at equals one of the person's own sales-touch times."""
    (derived,) = _one(
        con,
        """
        select count(*) from marts.fct_lead_responses r
        join marts.fct_events e on e.person_id = r.person_id and e.occurred_at = r.trigger_at
        join seeds.event_types t on t.event_type = e.event_type and t.is_sales_touch
        """,
    )
    (responses,) = _one(con, "select count(*) from marts.fct_lead_responses")
    assert responses > 0 and derived == 0


def test_ids_are_named_after_the_oldest_record_and_retired_ids_point_to_survivors(con) -> None:
    """person_id = per_ + md5 prefix of the person's oldest record (survivorship), so a
    converted lead and its contact share the lead's id; every retired id of
    identity_id_history maps to a live id and is not itself live."""
    (wrong,) = _one(
        con,
        """
        with oldest as (
            select i.person_id, arg_min(r.node_id, r.winner_key) as node_id
            from intermediate.int_person_identities i
            join intermediate.int_person_records r using (node_id)
            group by i.person_id
        )
        select count(*) from oldest where person_id <> 'per_' || left(md5(node_id), 16)
        """,
    )
    (converted, same) = _one(
        con,
        """
        select count(*), count(*) filter (where bl.person_id = bc.person_id)
        from staging.stg_salesforce__leads l
        join marts.bridge_person_identities bl
          on bl.source_system = 'salesforce_lead' and bl.source_id = l.lead_id
        join marts.bridge_person_identities bc
          on bc.source_system = 'salesforce_contact' and bc.source_id = l.converted_contact_id
        """,
    )
    (dangling, live_retired) = _one(
        con,
        """
        select
            count(*) filter (where coalesce(p.person_id, a.account_id) is null),
            count(*) filter (where h.retired_id in (select person_id from marts.dim_people)
                             or h.retired_id in (select account_id from marts.dim_accounts))
        from marts.identity_id_history h
        left join marts.dim_people p on h.entity_type = 'person' and p.person_id = h.surviving_id
        left join marts.dim_accounts a
          on h.entity_type = 'account' and a.account_id = h.surviving_id
        """,
    )
    assert wrong == 0
    assert converted > 0 and same == converted
    assert dangling == 0 and live_retired == 0
