"""The dbt project as Dagster assets: group = dbt folder, sources wired to the raw assets.

Sources carry ``meta: {dagster: {asset_key: ["raw", "<source>__<entity>"]}}`` so lineage from
the loader assets needs no glue here. dbt tests arrive as asset checks; indirect selection is
eager so a test on a mart runs whenever the mart is built. Unit tests are excluded from the
production build (they run in CI).
"""

import logging
import os
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
    get_asset_key_for_model,
)

from orchestration.clock import as_of_text, parse_as_of
from orchestration.dbt_project import dbt_project, ensure_manifest, has_models
from orchestration.resources import RevloopPaths, patched_environ

log = logging.getLogger(__name__)

os.environ.setdefault("DBT_INDIRECT_SELECTION", "eager")

BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test"]
PARTIAL_PARSE = "partial_parse.msgpack"


class DbtBuildConfig(dg.Config):
    """Run config of the dbt build (Launchpad: ``ops: {revloop_dbt: {config: ...}}``)."""

    as_of: str = ""  # the build's as-of (ISO 8601, UTC); empty = this run's start time
    # Rebuild the incremental models from scratch (dbt's --full-refresh): after a change of
    # their logic, or to prove the increments right. A run tagged ``revloop/full_refresh:
    # true`` (e.g. launched from the UI with that tag) does the same without run config.
    full_refresh: bool = False


FULL_REFRESH_TAG = "revloop/full_refresh"


def wants_full_refresh(context: AssetExecutionContext, config: DbtBuildConfig) -> bool:
    """The run config field, or the run tag ``revloop/full_refresh`` set to true."""
    if config.full_refresh:
        return True
    tag = (context.run.tags or {}).get(FULL_REFRESH_TAG, "")
    return tag.strip().lower() in {"1", "true", "yes"}


def build_as_of(context: AssetExecutionContext, config: DbtBuildConfig) -> str:
    """The as-of dbt builds with: the configured one, else when this run was created."""
    if config.as_of:
        return as_of_text(parse_as_of(config.as_of))
    record = context.instance.get_run_record_by_id(context.run_id)
    started = record.create_timestamp if record is not None else None
    return as_of_text(started or datetime.now(UTC))


def keep_partial_parse(run_target: Path, project_target: Path) -> None:
    """Leave this build's parse where the next build starts from.

    dagster-dbt gives every invocation its own target folder and seeds it with the
    ``partial_parse.msgpack`` of the project's target folder (``seed_target``), which
    otherwise only ``dbt parse`` writes, with another warehouse path in the profile: the
    next build would parse the whole project again (~10 s). Replaced atomically: another
    process may be copying it.
    """
    source = run_target / PARTIAL_PARSE
    if not source.exists():
        return
    project_target.mkdir(parents=True, exist_ok=True)
    staged = project_target / f".{PARTIAL_PARSE}.{os.getpid()}"
    shutil.copyfile(source, staged)
    os.replace(staged, project_target / PARTIAL_PARSE)


def seed_target() -> Path:
    """The folder dagster-dbt copies ``partial_parse.msgpack`` from into each build's own
    target folder: ``$DBT_TARGET_PATH`` (default ``target``), relative to the project."""
    folder = Path(os.getenv("DBT_TARGET_PATH", "target"))
    return folder if folder.is_absolute() else dbt_project.project_dir / folder


class RevloopDbtTranslator(DagsterDbtTranslator):
    """Group each dbt node by the folder it lives in (staging, intermediate, marts, ...)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        meta_group = (dbt_resource_props.get("config", {}).get("meta") or {}).get("dagster", {})
        if meta_group.get("group"):
            return meta_group["group"]
        if dbt_resource_props.get("resource_type") == "seed":
            return "seeds"
        fqn = dbt_resource_props.get("fqn") or []
        return fqn[1] if len(fqn) > 2 else None


translator = RevloopDbtTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_code_references=False)
)


def _build_dbt_assets() -> list[dg.AssetsDefinition]:
    if not has_models():
        log.warning("dbt_project/models has no models yet: the dbt assets are empty")
        return []
    manifest = ensure_manifest()

    @dbt_assets(
        manifest=manifest,
        project=dbt_project,
        dagster_dbt_translator=translator,
        name="revloop_dbt",
        pool="revloop_warehouse",  # one warehouse writer at a time (dagster.yaml)
    )
    def revloop_dbt(
        context: AssetExecutionContext,
        config: DbtBuildConfig,
        dbt: DbtCliResource,
        paths: RevloopPaths,
    ):
        # dbt runs with cwd=dbt_project/: hand it the absolute warehouse path. The as-of goes
        # by environment, not --vars (see macros/time/as_of.sql: partial parsing survives it).
        as_of = build_as_of(context, config)
        env = {
            "REVLOOP_WAREHOUSE": str(paths.warehouse_path.resolve()),
            "REVLOOP_AS_OF": as_of,
            "DBT_INDIRECT_SELECTION": "eager",
        }
        context.log.info("dbt build as of %s UTC", as_of)
        args = list(BUILD_ARGS)
        if wants_full_refresh(context, config):
            context.log.info("dbt build --full-refresh: incremental models rebuilt from scratch")
            args.append("--full-refresh")
        with patched_environ(env):
            invocation = dbt.cli(args, context=context)
            try:
                yield from invocation.stream()
            finally:  # a failed build parsed the project too
                keep_partial_parse(invocation.target_path, seed_target())

    return [revloop_dbt]


dbt_assets_defs: list[dg.AssetsDefinition] = _build_dbt_assets()


def model_asset_key(model: str) -> dg.AssetKey | None:
    """The asset key of dbt model ``model``, or None when the model is not in the manifest."""
    for defn in dbt_assets_defs:
        try:
            return get_asset_key_for_model([defn], model)
        except Exception:  # dagster raises a generic error for an unknown model name
            continue
    return None
