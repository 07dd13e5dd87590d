"""Contracts of the public marts, read from the manifest of the revenue world's build.

Every model in the public schemas (marts, reverse_etl) enforces its contract and documents
itself and every column with a type; the revenue marts carry at least the key columns that
shared/spec/interfaces.md promises. A new mart without a contract, or a renamed key column,
fails here before a dashboard or a sync notices.
"""

from __future__ import annotations

import json

import pytest

INTERFACE_COLUMNS = {
    "fct_opportunities": {
        "opportunity_id", "account_id", "created_at", "closed_at", "amount", "is_closed",
        "is_won", "sales_cycle_days", "opportunity_type",
    },
    "mart_funnel": {
        "cohort_month", "from_stage", "to_stage", "entered", "converted", "conversion_rate",
        "median_days",
    },
    "mart_pipeline_velocity": {
        "month", "dimension", "dimension_value", "open_opportunities", "avg_deal_size",
        "win_rate", "avg_cycle_days", "velocity_per_day",
    },
    "fct_account_ltv": {
        "account_id", "acquisition_channel", "revenue_to_date", "predicted_ltv", "churn_risk",
    },
}  # fmt: skip
REVENUE_MARTS = {
    "fct_opportunities",
    "fct_opportunity_stages",
    "mart_pipeline_velocity",
    "mart_funnel",
    "fct_account_ltv",
    "mart_retention_curve",
    "mart_cohort_retention",
    "mart_ltv_by_channel",
    "sync_salesforce__opportunity",
}


@pytest.fixture(scope="module")
def public_models(revenue_world_build: dict) -> dict[str, dict]:
    manifest = json.loads((revenue_world_build["target"] / "manifest.json").read_text())
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] in ("marts", "reverse_etl")
    }


def test_every_public_model_enforces_a_documented_contract(public_models: dict) -> None:
    assert set(public_models) >= REVENUE_MARTS
    problems = []
    for name, node in sorted(public_models.items()):
        # dbt cannot enforce a contract on a Python model (docs.getdbt.com, "contract":
        # "These places do NOT support model contracts: Python models"); their declared
        # types are checked against the built table in tests/dbt/test_attribution_build.py
        if node["language"] == "sql" and not node["config"]["contract"]["enforced"]:
            problems.append(f"{name}: contract not enforced")
        if not node["description"].strip():
            problems.append(f"{name}: no description")
        for column, spec in node["columns"].items():
            if not (spec.get("description") or "").strip() or not spec.get("data_type"):
                problems.append(f"{name}.{column}: description or data_type missing")
    assert not problems, problems


def test_revenue_marts_keep_the_interface_columns(public_models: dict) -> None:
    for name, columns in INTERFACE_COLUMNS.items():
        missing = columns - set(public_models[name]["columns"])
        assert not missing, (name, missing)


def test_the_built_tables_have_exactly_the_documented_columns(
    public_models: dict, revenue_con
) -> None:
    for name in sorted(REVENUE_MARTS):
        node = public_models[name]
        built = [
            r[0]
            for r in revenue_con.execute(
                "select column_name from information_schema.columns where table_schema = ?"
                " and table_name = ? order by ordinal_position",
                [node["schema"], name],
            ).fetchall()
        ]
        assert built == list(node["columns"]), name
