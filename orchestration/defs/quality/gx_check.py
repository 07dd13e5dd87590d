"""A GX suite as ``@asset_check(blocking=True)``: an error-level failure stops everything
downstream (dbt, publishing, the syncs); a warning is reported and lets the run go on.

dagster-ge lags GX 1.x, so the check calls ``expectations.run_suite`` itself. Raw suites
validate the batch the loader asset just wrote (its materialization's ``batch_id``), marts
the built table; the result is stored in the GX context, and a failing suite's Data Docs
page is rendered at once and linked in the check's metadata.
"""

from collections.abc import Sequence

import dagster as dg

from orchestration.defs.quality.report import check_result
from orchestration.defs.quality.resources import QualityGate
from orchestration.resources import RevloopPaths


def gx_check_name(suite: str) -> str:
    return "gx_" + suite.replace(".", "__")


def _loaded_batch(context: dg.AssetCheckExecutionContext, key: dg.AssetKey) -> str | None:
    """The ``batch_id`` of the loader's latest materialization of ``key`` (this run's)."""
    event = context.instance.get_latest_materialization_event(key)
    mat = event.asset_materialization if event else None
    value = mat.metadata.get("batch_id") if mat else None
    return getattr(value, "value", value)


def build_gx_check(
    suite: str,
    asset_key: dg.AssetKey,
    owners: Sequence[str] | None = None,
    *,
    model_in_project: bool = True,
) -> dg.AssetChecksDefinition:
    """The blocking check of ``suite`` on ``asset_key``.

    ``model_in_project=False`` (a mart another issue has not built yet): a missing table is a
    warning saying "table not built yet"; otherwise a missing table is an error.
    """
    from expectations import suite_for

    spec = suite_for(suite)
    name = gx_check_name(suite)
    rules = "; ".join(e.description or type(e).__name__ for e in spec.expectations())

    @dg.asset_check(
        asset=asset_key,
        name=name,
        blocking=True,
        description=f"Great Expectations suite {suite} on {spec.table} "
        f"({'the load batch just written' if spec.scope == 'batch' else 'the built table'}): "
        + rules,
    )
    def _check(
        context: dg.AssetCheckExecutionContext, paths: RevloopPaths, quality_gate: QualityGate
    ) -> dg.AssetCheckResult:
        from expectations import run_suite

        batch_id = _loaded_batch(context, asset_key) if spec.scope == "batch" else None
        root = quality_gate.context_root(paths.warehouse_path)
        # Data Docs: a failing or warning suite renders its page at once (the run may stop
        # here); passing results are rendered together by the release step (one pass).
        result = run_suite(
            paths.warehouse_path,
            suite,
            batch_id=batch_id,
            context_root=root,
            run_name=context.run.run_id,
            build_docs=False,
        )
        if result.status in ("failed", "warned"):
            from expectations.context import build_docs

            result.docs = build_docs(paths.warehouse_path, root, context.run.run_id)
        if result.status == "not_built":
            severity = "warn" if not model_in_project else "error"
        elif result.status == "failed":
            severity = "error"
        elif result.status == "warned":
            severity = "warn"
        else:
            severity = None
        metadata = {
            "suite": suite,
            "status": result.status,
            "expectations_evaluated": result.evaluated,
            "rows": result.row_count,
            "failures": dg.MetadataValue.md(
                "\n".join(f"- **{f.severity}** {f.message}" for f in result.failed) or "none"
            ),
        }
        if result.batch_id:
            metadata["batch_id"] = result.batch_id
        links: list[str] = []
        if result.docs is not None:
            metadata["data_docs"] = dg.MetadataValue.path(str(result.docs))
            links.append(f"Data Docs: {result.docs.as_uri()}")
        return check_result(
            context,
            asset_key=asset_key,
            check_name=name,
            severity=severity,
            summary=result.summary(),
            owners=owners,
            gate=quality_gate,
            metadata=metadata,
            links=links,
        )

    return _check
