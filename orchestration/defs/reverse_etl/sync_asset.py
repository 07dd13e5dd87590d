"""One asset per sync (``["reverse_etl", "<sync name>"]``) calling the sync engine."""

from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from orchestration.defs.reverse_etl.syncs import SyncRef
from orchestration.resources import CrmResource, RevloopPaths

REVERSE_ETL_GROUP = "reverse_etl"
# Tag that tells sync assets from the dbt payload models of the same group.
SYNC_TAG = {"revloop/role": "sync"}


def sync_asset_key(name: str) -> dg.AssetKey:
    return dg.AssetKey(["reverse_etl", name])


def sync_metadata(result: Any) -> dict[str, int]:
    """planned/sent/failed/unchanged of one ``reverse_etl.engine.SyncResult``."""
    return {
        "planned": int(result.planned),
        "sent": int(result.sent),
        "failed": int(result.failed),
        "unchanged": int(result.unchanged),
    }


def build_sync_asset(ref: SyncRef, deps: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The asset for one sync; ``deps``: its payload model and the gated marts."""

    @dg.asset(
        key=sync_asset_key(ref.name),
        deps=deps,
        group_name=REVERSE_ETL_GROUP,
        tags=SYNC_TAG,
        kinds={ref.destination or "crm", "python"},
        description=f"Sync {ref.name}: {ref.table} → {ref.destination} {ref.object}.",
        pool="revloop_warehouse",  # one warehouse writer at a time (orchestration/dagster.yaml)
    )
    def _sync(
        context: AssetExecutionContext, paths: RevloopPaths, crm: CrmResource
    ) -> dg.MaterializeResult:
        from reverse_etl.engine import run_syncs

        with crm.endpoints(paths.extracts_path) as urls:
            context.log.info("syncing %s to %s", ref.name, urls.get(ref.destination, "?"))
            results = run_syncs(paths.warehouse_path, paths.syncs_path, names=[ref.name])
        meta: dict[str, int] = {"planned": 0, "sent": 0, "failed": 0, "unchanged": 0}
        for r in results:
            context.log.info("%s", r.summary())
            for k, v in sync_metadata(r).items():
                meta[k] += v
            if r.status == "failed" or r.error:
                # guardrail, auth or payload errors stop the sync: fail the asset, keep the why.
                # A "partial" run (some records rejected by the CRM, under the sync's
                # max_reject_share) succeeds: the rejects sit in the dead letter for the next run.
                raise dg.Failure(description=r.summary(), metadata=meta)
        if meta["failed"]:
            context.log.warning(
                "%s: %d records rejected (see reverse_etl dead letters)", ref.name, meta["failed"]
            )
        return dg.MaterializeResult(metadata=meta)

    return _sync
