"""Attribution on the small generated sample: all nine models fill fct_attribution, the dbt
invariant tests pass, spend is FX-converted by day, the marts reconcile, the planted
sequence tops its segment, and the CRM payloads carry the chosen model.

It reads the session's one build of the small sample (tests/dbt/conftest.py
``small_build``: every model and data test, attribution's included); recovery of the
planted channel order needs the `medium` sample and lives in scripts/bench_attribution.py
(figures in BENCHMARKS.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")
AS_OF = "2026-10-31 23:59:59"
NINE = {
    "first_touch", "last_touch", "linear", "time_decay", "u_shaped", "w_shaped", "full_path",
    "markov", "shapley",
}  # fmt: skip


@pytest.fixture(scope="module")
def warehouse(small_build: dict) -> Path:
    return small_build["db"]


@pytest.fixture(scope="module")
def con(warehouse: Path):
    connection = duckdb.connect(str(warehouse), read_only=True)
    yield connection
    connection.close()


def test_python_marts_keep_their_declared_column_types(con, warehouse: Path) -> None:
    """dbt enforces no contract on Python models, so this does: the columns and types the
    YAML declares are exactly what the built tables hold, in order."""
    manifest = json.loads((warehouse.parent / "target" / "manifest.json").read_text())
    python_marts = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["language"] == "python"
    ]
    assert {n["name"] for n in python_marts} >= {
        "mart_attribution_removal_effects",
        "mart_attribution_shapley_values",
    }
    for node in python_marts:
        declared = [(c, s["data_type"].upper()) for c, s in node["columns"].items()]
        built = _rows(
            con,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [node["schema"], node["name"]],
        )
        assert built == declared, node["name"]


def _rows(con, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def test_all_nine_models_fill_every_conversion_type(con) -> None:
    found = _rows(
        con,
        "select conversion_type, model, count(distinct conversion_id) from marts.fct_attribution "
        "group by all",
    )
    by_type: dict[str, dict[str, int]] = {}
    for conversion_type, model, n in found:
        by_type.setdefault(conversion_type, {})[model] = n
    assert set(by_type) == {"lead_created", "opportunity_created", "closed_won"}
    for conversion_type, models in by_type.items():
        assert set(models) == NINE, conversion_type
        assert len(set(models.values())) == 1 and min(models.values()) > 10, conversion_type
    (touched,) = _rows(con, "select count(*) from marts.fct_attribution where not is_unattributed")[
        0
    ]
    assert touched > 1000


def test_markov_and_shapley_are_derived_from_the_paths(con) -> None:
    """Re-derive the removal effects from mart_attribution_paths with the model's own code:
    what anyone re-running the paths table gets."""
    import importlib.util

    path = PROJECT / "models" / "marts" / "attribution" / "mart_attribution_removal_effects.py"
    spec = importlib.util.spec_from_file_location("removal", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    paths = con.execute(
        "select conversion_type, path, conversions, non_conversions "
        "from marts.mart_attribution_paths"
    ).df()
    again = module.removal_effect_table(paths).set_index("removal_effect_id")["removal_effect"]
    stored = (
        con.execute(
            "select removal_effect_id, removal_effect from marts.mart_attribution_removal_effects"
        )
        .df()
        .set_index("removal_effect_id")["removal_effect"]
    )
    assert len(stored) > 10
    pd.testing.assert_series_equal(again.sort_index(), stored.sort_index(), check_names=False)


def test_ad_spend_is_converted_by_day(con) -> None:
    """Meta's USD account: spend on 2026-07-01 or later converts at seed fx_rates' 150.0,
    before July at 152.0; JPY accounts at 1.0."""
    rates = dict(
        _rows(
            con,
            "select case when spend_date >= date '2026-07-01' then 'h2' else 'h1' end, "
            "max(rate_to_jpy) from intermediate.int_ad_spend_daily "
            "where currency = 'USD' and spend_date >= date '2026-01-01' group by 1",
        )
    )
    assert rates == {"h1": 152.0, "h2": 150.0}
    (jpy,) = _rows(
        con, "select max(rate_to_jpy) from intermediate.int_ad_spend_daily where currency = 'JPY'"
    )[0]
    assert jpy == 1.0
    spend_mart, spend_days = _rows(
        con,
        "select (select sum(spend) from marts.mart_attribution_by_channel where model = 'linear' "
        "and conversion_type = 'lead_created'), "
        "(select sum(spend_jpy) from intermediate.int_ad_spend_daily) + "
        "(select coalesce(sum(cost_jpy), 0) from intermediate.int_attribution_campaigns "
        "where campaign_source = 'salesforce')",
    )[0]
    assert spend_mart == pytest.approx(spend_days) and spend_mart > 0


def test_channel_mart_roas_and_sourced_vs_influenced(con) -> None:
    rows = con.execute(
        "select * from marts.mart_attribution_by_channel "
        "where model = 'w_shaped' and conversion_type = 'opportunity_created'"
    ).df()
    priced = rows[rows["spend"] > 0]
    assert len(priced) > 0
    assert (priced["roas"] - priced["revenue"] / priced["spend"]).abs().max() < 1e-9
    (pipeline,) = _rows(
        con,
        "select sum(revenue) from intermediate.int_attribution_conversions "
        "where conversion_type = 'opportunity_created'",
    )[0]
    # attributed and sourced pipeline are shares of the pipeline; influenced counts a deal
    # once per channel it touched, so it is at least the pipeline
    assert rows["revenue"].sum() == pytest.approx(pipeline)
    assert rows["sourced_revenue"].sum() == pytest.approx(pipeline)
    assert rows["influenced_revenue"].sum() >= pipeline


def test_planted_sequence_tops_its_segment(con, small_world: dict) -> None:
    """truth/sequence_effects.csv: mid-market journeys "Paid Search > Content > Webinar"
    (log-odds +3 at lead -> MQL and at SAL -> opportunity) against the same channels in the
    other order."""
    seq = pd.read_csv(small_world["truth"] / "sequence_effects.csv", keep_default_na=False)
    planted = seq[seq["order"] == "planted"].iloc[0]
    other = seq[seq["order"] == "reversed"].iloc[0]
    (top,) = _rows(
        con,
        "select path from marts.mart_attribution_paths_by_segment "
        "where segment = ? and conversion_type = ? and winning_rank = 1",
        [planted["segment"], planted["conversion_type"]],
    )[0]
    assert top.startswith(planted["path"]), top

    def rate(path: str) -> float:
        conv, total = _rows(
            con,
            "select sum(conversions), sum(journeys) from marts.mart_attribution_paths_by_segment "
            "where segment = ? and conversion_type = ? and starts_with(path, ?)",
            [planted["segment"], planted["conversion_type"], path],
        )[0]
        assert total >= 20, path
        return conv / total

    assert rate(planted["path"]) > rate(other["path"])


def test_crm_payloads_follow_the_chosen_model(con) -> None:
    """Default var attribution_crm_model = w_shaped. The Campaign sync's attributed pipeline
    is the w_shaped revenue credit of the touches on each Salesforce campaign; the person's
    attributed channel is the top w_shaped channel of the furthest conversion."""
    (synced, expected) = _rows(
        con,
        """
        select
            (select sum("Revloop_Attributed_Pipeline__c")
             from reverse_etl.sync_salesforce__campaign),
            (select sum(a.revenue_credit) from marts.fct_attribution a
             join (select distinct campaign_key from intermediate.int_attribution_campaigns
                   where salesforce_campaign_id is not null) c on a.campaign_key = c.campaign_key
             where a.model = 'w_shaped' and a.conversion_type = 'opportunity_created')
        """,
    )[0]
    assert synced == pytest.approx(expected) and synced > 0
    person, channel, conversion_id = _rows(
        con,
        "select person_id, attributed_channel, conversion_id from marts.fct_attributed_channels "
        "where conversion_type = 'lead_created' order by person_id limit 1",
    )[0]
    credits = con.execute(
        "select channel, sum(credit) as credit from marts.fct_attribution "
        "where conversion_id = ? and model = 'w_shaped' group by channel "
        "order by credit desc, channel",
        [conversion_id],
    ).fetchall()
    assert credits[0][0] == channel and conversion_id == f"lead:{person}"
