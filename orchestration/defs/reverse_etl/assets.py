"""The sync assets of this code location, wired to their dbt payload models.

Each sync depends on its payload model and on the gated marts (through the dbt asset helper),
so a failed blocking quality check on any of them keeps the CRM untouched in that run.
"""

from __future__ import annotations

import dagster as dg

from orchestration.defs.dbt.assets import model_asset_key
from orchestration.defs.publish.assets import SNAPSHOT_KEY
from orchestration.defs.reverse_etl.sync_asset import build_sync_asset
from orchestration.defs.reverse_etl.syncs import SyncRef, sync_refs

# Marts whose GX suites gate every sync (see orchestration/defs/quality).
GATED_MARTS: tuple[str, ...] = ("dim_people", "dim_accounts", "fct_events", "fct_lead_scores")


def payload_deps(ref: SyncRef) -> list[dg.AssetKey]:
    """The payload model asset, the gated marts (through the dbt asset helper) and the
    published snapshot: a sync only ever sends a build the gate passed and published."""
    deps = [model_asset_key(ref.model), *(model_asset_key(m) for m in GATED_MARTS), SNAPSHOT_KEY]
    keys = [k for k in deps if k is not None]
    if model_asset_key(ref.model) is None:
        keys.insert(0, dg.AssetKey(ref.table.split(".")))  # payload not modelled in dbt yet
    return list(dict.fromkeys(keys))


sync_assets: list[dg.AssetsDefinition] = [
    build_sync_asset(ref, payload_deps(ref)) for ref in sync_refs()
]
