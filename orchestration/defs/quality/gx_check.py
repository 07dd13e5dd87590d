"""A GX suite as ``@asset_check(blocking=True)``: a failing suite stops everything downstream.

dagster-ge lags GX 1.x, so the check calls ``expectations.run_suites`` itself on the
warehouse (read-only) and turns the suite's failures into the check's description.
"""

import dagster as dg

from orchestration.resources import RevloopPaths


def build_gx_check(
    suite: str, asset_key: dg.AssetKey, key_columns: list[str] | None = None
) -> dg.AssetChecksDefinition:
    check_name = "gx_" + suite.replace(".", "__")

    @dg.asset_check(
        asset=asset_key,
        name=check_name,
        blocking=True,
        description=f"Great Expectations suite {suite} (expectations/suites.py).",
    )
    def _check(paths: RevloopPaths) -> dg.AssetCheckResult:
        from expectations import run_suites

        payload_keys = {suite: key_columns} if key_columns else None
        (result,) = run_suites(paths.warehouse_path, [suite], payload_keys=payload_keys)
        return dg.AssetCheckResult(
            passed=result.success,
            severity=dg.AssetCheckSeverity.ERROR,
            description=result.summary(),
            metadata={
                "suite": suite,
                "expectations_evaluated": result.evaluated,
                "rows": result.row_count,
                "failures": dg.MetadataValue.md(
                    "\n".join(f"- {m}" for m in result.messages) or "none"
                ),
            },
        )

    return _check
