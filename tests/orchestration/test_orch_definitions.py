"""The whole code location loads: groups, jobs, schedule, sensor, checks and lineage."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest


@pytest.fixture(scope="module")
def defs(dbt_manifest: Path) -> dg.Definitions:
    from orchestration.definitions import defs

    return defs


def test_asset_graph_has_every_concern(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert {"ingest", "staging", "marts", "reverse_etl"} <= groups
    # every raw table of docs/architecture.md is an ingest asset
    for table in (
        "salesforce__lead",
        "marketo__activities",
        "ga4__events",
        "linkedin_ads__analytics",
    ):
        key = dg.AssetKey(["raw", table])
        assert graph.has(key) and graph.get(key).group_name == "ingest"


def test_dbt_sources_resolve_to_the_ingest_assets(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    ingest = {k for k in graph.get_all_asset_keys() if graph.get(k).group_name == "ingest"}
    staging = [k for k in graph.get_all_asset_keys() if graph.get(k).group_name == "staging"]
    assert staging
    # dbt's base models: a staging model may read a `base_` model of staging (GA4's parse,
    # which stg_ga4__events de-duplicates) when that one reads raw tables itself
    base = {
        k
        for k in staging
        if k.path[-1].startswith("base_") and set(graph.get(k).parent_keys) <= ingest
    }
    for key in staging:
        parents = set(graph.get(key).parent_keys)
        assert parents, f"{key} has no upstream"
        # a staging model reads raw tables (and seeds), never an unknown external key
        assert all(
            p in ingest or p in base or graph.get(p).group_name == "seeds" for p in parents
        ), (key, parents)


def test_quality_checks_are_blocking_and_cover_raw_and_marts(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    gx = {k for k in graph.asset_check_keys if k.name.startswith("gx_")}
    names = {k.name for k in gx}
    assert {"gx_raw__ga4__events", "gx_raw__salesforce__lead"} <= names
    assert {"gx_marts__fct_events", "gx_marts__fct_opportunities"} <= names
    assert all(graph.get_check_spec(k).blocking for k in gx)
    # the gate's other checks: freshness on every raw table, monitors, the release diff
    raw = [k for k in graph.get_all_asset_keys() if k.path[0] == "raw"]
    assert all(dg.AssetCheckKey(k, "freshness") in graph.asset_check_keys for k in raw)
    assert (
        dg.AssetCheckKey(dg.AssetKey(["raw", "ga4__events"]), "monitors") in graph.asset_check_keys
    )
    release = dg.AssetCheckKey(dg.AssetKey(["publish", "release_candidate"]), "release_diff")
    assert graph.get_check_spec(release).blocking


def test_every_asset_names_an_owner_and_a_backup(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        owners = graph.get(key).owners
        assert len(owners) >= 2 and all("@" in o for o in owners), (key, owners)
    assert graph.get(dg.AssetKey(["raw", "ga4__events"])).owners[0] == (
        "web-analytics@revloop.example"
    )
    dbt_checks = [k for k in graph.asset_check_keys if not k.name.startswith("gx_")]
    assert dbt_checks, "dbt tests should arrive as asset checks"


def test_each_sync_is_an_asset_fed_by_its_payload_model(defs: dg.Definitions) -> None:
    from orchestration.defs.reverse_etl.syncs import sync_refs

    graph = defs.resolve_asset_graph()
    refs = sync_refs()
    assert refs, "reverse_etl/syncs has no sync YAML"
    for ref in refs:
        node = graph.get(dg.AssetKey(["reverse_etl", ref.name]))
        assert node.tags.get("revloop/role") == "sync"
        parents = set(node.parent_keys)
        assert dg.AssetKey(["reverse_etl", ref.model]) in parents
        assert dg.AssetKey(["marts", "dim_people"]) in parents
        # the CRM only ever receives a build the gate passed and published
        assert dg.AssetKey(["publish", "snapshot"]) in parents


def test_jobs_schedule_and_sensor(defs: dg.Definitions) -> None:
    nightly = defs.resolve_job_def("nightly")
    assert nightly.executor_def is dg.in_process_executor  # one DuckDB writer at a time
    graph = defs.resolve_asset_graph()
    assert set(nightly.asset_layer.selected_asset_keys) == set(graph.materializable_asset_keys)
    schedule = defs.resolve_schedule_def("nightly_0200_tokyo")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "Asia/Tokyo")
    sensor = defs.resolve_sensor_def("new_extract_files_sensor")
    assert sensor.job_name == "ingest"
    ingest = defs.resolve_job_def("ingest")
    assert {k.path[0] for k in ingest.asset_layer.selected_asset_keys} == {"raw"}
    assert defs.resolve_sensor_def("alert_on_run_failure") is not None
    assert defs.resolve_sensor_def("freshness_sensor").job_name == "freshness"
