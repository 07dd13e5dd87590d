"""The quality checks of this code location: one blocking GX check per suite whose table has
an asset here (raw tables, dbt marts, reverse-ETL payload models)."""

from __future__ import annotations

import logging

import dagster as dg

from orchestration.defs.dbt.assets import model_asset_key
from orchestration.defs.quality.gx_check import build_gx_check
from orchestration.defs.reverse_etl.syncs import sync_refs

log = logging.getLogger(__name__)


def build_gx_checks() -> list[dg.AssetChecksDefinition]:
    """One check per suite whose table has an asset in this code location."""
    from expectations import SUITES

    checks: list[dg.AssetChecksDefinition] = []
    for name, spec in SUITES.items():
        schema, table = spec.table.split(".", 1)
        if schema == "raw":
            key = dg.AssetKey(["raw", table])
        else:
            key = model_asset_key(table)
            if key is None:
                log.info("no dbt model %s yet: GX suite %s not attached", table, name)
                continue
        checks.append(build_gx_check(name, key))
    for ref in sync_refs():
        key = model_asset_key(ref.model)
        if key is not None:
            cols = [ref.key_column] if ref.key_column else None
            checks.append(build_gx_check(ref.table, key, cols))
    return checks


gx_checks: list[dg.AssetChecksDefinition] = build_gx_checks()
