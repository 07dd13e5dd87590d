"""revloop's Dagster code location: gathers ``defs/<concern>`` and applies run policy.

DuckDB allows one writer per file, so every job runs with the in-process executor: no two
assets ever write the warehouse at once. ``dagster dev -m orchestration.definitions``.
"""

from __future__ import annotations

import dagster as dg

from orchestration.defs.dbt.assets import dbt_assets_defs
from orchestration.defs.ingest.assets import ingest_assets, ingest_job
from orchestration.defs.ingest.sensors import new_extract_files_sensor
from orchestration.defs.quality.checks import gx_checks
from orchestration.defs.reverse_etl.assets import sync_assets
from orchestration.resources import build_resources

nightly_job = dg.define_asset_job(
    "nightly",
    selection=dg.AssetSelection.all(),
    description="Load extracts → dbt build → quality gates → reverse ETL.",
    executor_def=dg.in_process_executor,
)

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_0200_tokyo",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Tokyo",
)

defs = dg.Definitions(
    assets=[*ingest_assets, *dbt_assets_defs, *sync_assets],
    asset_checks=gx_checks,
    jobs=[nightly_job, ingest_job],
    schedules=[nightly_schedule],
    sensors=[new_extract_files_sensor],
    resources=build_resources(),
    executor=dg.in_process_executor,
)
