"""revloop's Dagster code location: gathers ``defs/<concern>`` and applies run policy.

DuckDB allows one writer per file, so every job runs with the in-process executor: no two
assets ever write the warehouse at once. ``dagster dev -m orchestration.definitions``.
"""

from __future__ import annotations

import warnings

import dagster as dg

from orchestration.defs.dbt.assets import dbt_assets_defs
from orchestration.defs.ingest.assets import ingest_assets, ingest_job
from orchestration.defs.ingest.sensors import new_extract_files_sensor
from orchestration.defs.publish.assets import build_publish_assets
from orchestration.defs.quality.checks import freshness_checks, gate_checks, mart_keys
from orchestration.defs.quality.freshness import build_freshness_job, build_freshness_sensor
from orchestration.defs.quality.owners import with_default_owners
from orchestration.defs.quality.sensors import alert_on_run_failure
from orchestration.defs.reverse_etl.assets import sync_assets
from orchestration.resources import build_resources

publish_assets = build_publish_assets(mart_keys())
freshness_job = build_freshness_job(list(freshness_checks))

nightly_job = dg.define_asset_job(
    "nightly",
    selection=dg.AssetSelection.all(),
    description="Load extracts → dbt build → quality gates → publish → reverse ETL.",
    executor_def=dg.in_process_executor,
)

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_0200_tokyo",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Tokyo",
)


def _definitions() -> dg.Definitions:
    """Everything, with every asset's owner and backup filled in (one place for policy)."""
    plain = dg.Definitions(
        assets=[*ingest_assets, *dbt_assets_defs, *publish_assets, *sync_assets],
        asset_checks=gate_checks,
        jobs=[nightly_job, ingest_job, freshness_job],
        schedules=[nightly_schedule],
        sensors=[
            new_extract_files_sensor,
            build_freshness_sensor(freshness_job),
            alert_on_run_failure,
        ],
        resources=build_resources(),
        executor=dg.in_process_executor,
    )
    with warnings.catch_warnings():  # map_asset_specs is a Dagster "preview" API (stable here)
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return plain.map_asset_specs(func=with_default_owners)


defs = _definitions()
