"""Anomaly monitors as blocking asset checks: one ``monitors`` check per monitored table.

The check runs every monitor declared for its table (``expectations/monitors.py``) at the
run's as-of instant; an ``error`` finding (a drop to zero, a missing-rate jump, a unit
change) blocks everything downstream, a ``warn`` finding (a spike, a partial drop) is
reported and alerted but lets the run through.
"""

from collections.abc import Sequence

import dagster as dg

from orchestration.defs.quality.report import check_result
from orchestration.defs.quality.resources import QualityGate
from orchestration.resources import RevloopPaths

MONITORS_CHECK = "monitors"


def build_monitor_check(
    table: str, asset_key: dg.AssetKey, monitors: Sequence, owners: Sequence[str] | None
) -> dg.AssetChecksDefinition:
    names = ", ".join(m.name for m in monitors)

    @dg.asset_check(
        asset=asset_key,
        name=MONITORS_CHECK,
        blocking=True,
        description=f"Anomaly monitors on {table} ({names}): "
        + " ".join(f"{m.name}: {m.meaning}" for m in monitors),
    )
    def _check(
        context: dg.AssetCheckExecutionContext, paths: RevloopPaths, quality_gate: QualityGate
    ) -> dg.AssetCheckResult:
        from expectations.monitors import run_monitors

        as_of = quality_gate.as_of_for(context)
        results = run_monitors(paths.warehouse_path, list(monitors), as_of)
        severities = {r.severity for r in results}
        severity = "error" if "error" in severities else ("warn" if "warn" in severities else None)
        findings = [msg for r in results for msg in r.messages()]
        summary = (
            "; ".join(findings)
            if findings
            else f"{table}: {len(results)} monitor(s) ok for "
            + ", ".join(sorted({str(d) for r in results for d in r.checked_days}))
        )
        # a monitor's own owner (monitors.yaml) wins over the asset's
        own = next((m for m in monitors if m.owner), None)
        chosen = [own.owner, own.backup] if own else owners
        return check_result(
            context,
            asset_key=asset_key,
            check_name=MONITORS_CHECK,
            severity=severity,
            summary=summary,
            owners=chosen,
            gate=quality_gate,
            metadata={
                "as_of": as_of.isoformat(),
                "monitors": dg.MetadataValue.md(
                    "\n".join(f"- {r.summary()}" for r in results) or "none"
                ),
            },
        )

    return _check
