"""The release: diff the new build against the last published one, then publish it.

``publish/release_candidate`` runs after every mart (and so after every blocking check on
them): it stores the build's key figures and their diff against the last published build
(``quality.release_figures`` / ``quality.release_diff``) and carries the blocking check
``release_diff``, which fails, printing the diff, when a figure moved beyond its threshold.
``publish/snapshot`` then writes the read-only snapshot the dashboard and BI tools read.
The syncs depend on ``publish/snapshot``, so the CRM only ever receives a published build;
``publish/sync_results`` runs after every sync and adds their outcome (run log, parked
rejects) to the same build's snapshot for the dashboard's data-health page.
"""

from collections.abc import Sequence

import dagster as dg

from orchestration.defs.quality.owners import publish_owners
from orchestration.defs.quality.report import check_result
from orchestration.defs.quality.resources import QualityGate
from orchestration.defs.reverse_etl.sync_asset import sync_asset_key
from orchestration.defs.reverse_etl.syncs import sync_refs
from orchestration.resources import RevloopPaths

PUBLISH_GROUP = "publish"
RELEASE_KEY = dg.AssetKey(["publish", "release_candidate"])
SNAPSHOT_KEY = dg.AssetKey(["publish", "snapshot"])
SYNC_RESULTS_KEY = dg.AssetKey(["publish", "sync_results"])
RELEASE_DIFF_CHECK = "release_diff"


def _run_checks(context: dg.AssetExecutionContext) -> list[tuple]:
    """This run's check evaluations as rows for ``_release.checks``."""
    rows = []
    # the job's asset layer (the step context has no repository definition under
    # ``execute_job``, which ``revloop run`` uses)
    graph = context.job_def.asset_layer
    for record in context.instance.all_logs(
        context.run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ):
        e = record.dagster_event.event_specific_data
        meta = {k: getattr(v, "value", v) for k, v in (e.metadata or {}).items()}
        if not meta.get("owner") and graph.has(e.asset_key):
            # dbt tests carry no owner of their own: the asset's owner and backup answer
            owners = [o.removeprefix("team:") for o in graph.get(e.asset_key).owners or ()]
            meta = {
                "owner": owners[0] if owners else "",
                "backup": owners[1] if len(owners) > 1 else "",
            }
        rows.append(
            (
                e.asset_key.to_user_string(),
                e.check_name,
                bool(e.passed),
                "error" if e.severity == dg.AssetCheckSeverity.ERROR else "warn",
                (e.description or "")[:2000],
                str(meta.get("owner", "")),
                str(meta.get("backup", "")),
            )
        )
    return rows


def build_publish_assets(mart_keys: Sequence[dg.AssetKey]) -> list[dg.AssetsDefinition]:
    """The release candidate (after ``mart_keys``), the snapshot asset and the sync results
    added to the snapshot after the shipped syncs (``reverse_etl/syncs``)."""
    owners = publish_owners()

    @dg.asset(
        key=RELEASE_KEY,
        deps=list(mart_keys),
        group_name=PUBLISH_GROUP,
        owners=owners,
        kinds={"duckdb", "python"},
        description="This build's key figures (row counts, totals per mart and channel) and "
        "their diff against the last published build, kept in quality.release_diff.",
        check_specs=[
            dg.AssetCheckSpec(
                RELEASE_DIFF_CHECK,
                asset=RELEASE_KEY,
                blocking=True,
                description="Key figures moved beyond expectations/release_diff.yaml's "
                "thresholds since the last published build: fails and prints the diff.",
            )
        ],
    )
    def release_candidate(
        context: dg.AssetExecutionContext, paths: RevloopPaths, quality_gate: QualityGate
    ):
        from expectations.release import prepare_release

        build_id = context.run.run_id
        diff = prepare_release(
            paths.warehouse_path,
            build_id,
            as_of=quality_gate.as_of_for(context),
            run_id=context.run.run_id,
            accept=quality_gate.accept_release_diff,
        )
        yield dg.MaterializeResult(
            metadata={
                "build_id": build_id,
                "compared_with": diff.compared_with or "none (first release)",
                "figures": len(diff.rows),
                "skipped": dg.MetadataValue.md("\n".join(f"- {s}" for s in diff.skipped) or "none"),
            }
        )
        from expectations.context import build_docs

        docs = build_docs(
            paths.warehouse_path,
            quality_gate.context_root(paths.warehouse_path),
            context.run.run_id,
        )
        severity = "error" if diff.errors else ("warn" if diff.warnings else None)
        yield check_result(
            context,
            asset_key=RELEASE_KEY,
            check_name=RELEASE_DIFF_CHECK,
            severity=severity,
            summary=diff.summary(),
            owners=owners,
            gate=quality_gate,
            metadata={
                "diff": dg.MetadataValue.md(
                    "\n".join(f"- {r.line()}" for r in diff.rows if r.status != "ok") or "none"
                ),
                "table": "quality.release_diff",
                "data_docs": dg.MetadataValue.path(str(docs)),
            },
            links=[f"Data Docs: {docs.as_uri()}"],
        )

    @dg.asset(
        key=SNAPSHOT_KEY,
        deps=[RELEASE_KEY],
        group_name=PUBLISH_GROUP,
        owners=owners,
        kinds={"duckdb"},
        description="The public marts, published read-only for the dashboard and BI tools "
        "(REVLOOP_SNAPSHOT, default revloop_published.duckdb beside the warehouse); replaced "
        "atomically, and only after the gate passed.",
    )
    def snapshot(
        context: dg.AssetExecutionContext, paths: RevloopPaths, quality_gate: QualityGate
    ) -> dg.MaterializeResult:
        from expectations.release import mark_published
        from orchestration.dbt_project import DBT_PROJECT_DIR
        from orchestration.defs.publish.snapshot import publish_snapshot

        build_id = context.run.run_id
        target = quality_gate.snapshot_path(paths.warehouse_path)
        published = publish_snapshot(
            paths.warehouse_path,
            target,
            build_id,
            run_id=context.run.run_id,
            as_of=quality_gate.as_of_for(context),
            checks=_run_checks(context),
            manifest=DBT_PROJECT_DIR / "target" / "manifest.json",
        )
        mark_published(paths.warehouse_path, build_id, published.path, published.published_at)
        context.log.info(
            "published %d marts tables (%d rows) to %s",
            len(published.tables),
            sum(published.tables.values()),
            published.path,
        )
        return dg.MaterializeResult(
            metadata={
                "snapshot": dg.MetadataValue.path(str(published.path)),
                "build_id": build_id,
                "tables": len(published.tables),
                "rows": sum(published.tables.values()),
                "bytes": published.bytes,
            }
        )

    @dg.asset(
        key=SYNC_RESULTS_KEY,
        deps=[SNAPSHOT_KEY, *(sync_asset_key(ref.name) for ref in sync_refs())],
        group_name=PUBLISH_GROUP,
        owners=owners,
        kinds={"duckdb"},
        description="This build's sync outcome (reverse_etl._sync_runs, the dead letter's "
        "refused and parked records) copied into the published snapshot after the syncs, "
        "for the dashboard's data-health page (_release.sync_runs / _release.sync_rejects).",
    )
    def sync_results(
        context: dg.AssetExecutionContext, paths: RevloopPaths, quality_gate: QualityGate
    ) -> dg.MaterializeResult:
        from orchestration.defs.publish.snapshot import refresh_sync_results

        target = quality_gate.snapshot_path(paths.warehouse_path)
        refreshed = refresh_sync_results(paths.warehouse_path, target, context.run.run_id)
        if not refreshed:
            context.log.warning("snapshot %s holds another build: sync results not added", target)
        return dg.MaterializeResult(
            metadata={"snapshot": dg.MetadataValue.path(str(target)), "refreshed": refreshed}
        )

    return [release_candidate, snapshot, sync_results]
