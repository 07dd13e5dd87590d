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


METADATA_KEYS = (
    "planned",
    "sent",
    "failed",
    "unchanged",
    "parked",
    "gone",
    "adopted",
    "duplicates",
    "rekeyed",
    "retired",
)


def sync_metadata(result: Any) -> dict[str, int]:
    """The counts of one ``reverse_etl.engine.SyncResult`` shown on the asset (adopted /
    duplicates: HubSpot adoption by domain; rekeyed / retired: identity merges followed)."""
    return {
        "planned": int(result.planned),
        "sent": int(result.sent),
        "failed": int(result.failed),
        "unchanged": int(result.unchanged),
        "parked": int(result.parked),
        "gone": int(result.gone),
        "adopted": int(result.adopted),
        "duplicates": int(result.duplicates),
        "rekeyed": int(result.rekeyed),
        "retired": int(result.planned_retires),
    }


def build_sync_asset(ref: SyncRef, deps: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The asset for one sync; ``deps``: its payload model and the gated marts."""

    check = dg.AssetCheckSpec(
        "no_rejects",
        asset=sync_asset_key(ref.name),
        description="records refused this run (partial = warning; above the sync's "
        "max_reject_share the sync itself fails)",
    )

    @dg.asset(
        key=sync_asset_key(ref.name),
        check_specs=[check],
        deps=deps,
        group_name=REVERSE_ETL_GROUP,
        tags=SYNC_TAG,
        kinds={ref.destination or "crm", "python"},
        description=f"Sync {ref.name}: {ref.table} → {ref.destination} {ref.object}.",
        pool="revloop_warehouse",  # one warehouse writer at a time (dagster.yaml)
    )
    def _sync(context: AssetExecutionContext, paths: RevloopPaths, crm: CrmResource):
        from reverse_etl.engine import run_syncs

        with crm.endpoints(paths.extracts_path) as urls:
            context.log.info("syncing %s to %s", ref.name, urls.get(ref.destination, "?"))
            results = run_syncs(
                paths.warehouse_path,
                paths.syncs_path,
                names=[ref.name],
                crm=crm.crm_config(urls),
            )
        meta: dict[str, int] = dict.fromkeys(METADATA_KEYS, 0)
        for r in results:
            context.log.info("%s", r.summary())
            for k, v in sync_metadata(r).items():
                meta[k] += v
            if r.status == "failed" or r.error:
                # guardrail, auth or payload errors stop the sync: fail the asset, keep the why.
                # A "partial" run (some records rejected by the CRM, under the sync's
                # max_reject_share) succeeds: the rejects sit in the dead letter for the next run.
                raise dg.Failure(description=r.summary(), metadata=meta)
        warnings = [r.warning for r in results if r.warning]
        for text in warnings:
            context.log.warning("%s: partial: %s", ref.name, text)
        yield dg.MaterializeResult(metadata={**meta, "status": ",".join(r.status for r in results)})
        # partial = a warning with the counts, never a failed asset (parked rejects are listed
        # by `revloop sync --rejects`); above max_reject_share the sync failed above
        yield dg.AssetCheckResult(
            check_name="no_rejects",
            passed=not warnings,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"refused": meta["failed"], "parked": meta["parked"]},
            description="; ".join(warnings) or None,
        )

    return _sync
