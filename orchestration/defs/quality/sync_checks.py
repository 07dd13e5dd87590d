"""Parked sync rejects as a (non-blocking) check on each sync asset, so they alert.

A sync that finishes "partial" (records the CRM refused, under its ``max_reject_share``)
succeeds and leaves the refused records in ``reverse_etl._sync_dead_letter`` for the next
run. That is not a blocking failure, but somebody must look: the check warns, naming the
sync, the count, the commonest vendor errors and the owner, and the warning is alerted.
"""

from collections.abc import Sequence

import dagster as dg

from orchestration.defs.quality.report import check_result
from orchestration.defs.quality.resources import QualityGate
from orchestration.resources import RevloopPaths

REJECTS_CHECK = "parked_rejects"


def parked_rejects(warehouse, sync_name: str) -> tuple[int, list[tuple[str, int, str]]]:
    """(records waiting in the dead letter, [(error_code, count, example message)])."""
    from expectations import warehouse as wh

    with wh.connect(warehouse) as con:
        if wh.table_columns(con, "reverse_etl._sync_dead_letter") is None:
            return 0, []
        rows = con.execute(
            "SELECT coalesce(error_code, '?'), count(*), any_value(error_message) "
            "FROM reverse_etl._sync_dead_letter WHERE sync_name = ? GROUP BY 1 ORDER BY 2 DESC",
            [sync_name],
        ).fetchall()
    return sum(r[1] for r in rows), [(r[0], int(r[1]), str(r[2] or "")) for r in rows]


def build_rejects_check(
    sync_name: str, asset_key: dg.AssetKey, owners: Sequence[str] | None
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=asset_key,
        name=REJECTS_CHECK,
        blocking=False,
        description=f"Records of sync {sync_name} the CRM refused, parked in "
        "reverse_etl._sync_dead_letter for retry (warns so the owner looks at them).",
    )
    def _check(
        context: dg.AssetCheckExecutionContext, paths: RevloopPaths, quality_gate: QualityGate
    ) -> dg.AssetCheckResult:
        total, by_code = parked_rejects(paths.warehouse_path, sync_name)
        if total:
            top = "; ".join(f"{code} x{n} (e.g. {msg[:120]})" for code, n, msg in by_code[:3])
            summary = (
                f"sync {sync_name}: {total} record(s) refused by the CRM wait in "
                f"reverse_etl._sync_dead_letter: {top}"
            )
        else:
            summary = f"sync {sync_name}: no parked rejects"
        return check_result(
            context,
            asset_key=asset_key,
            check_name=REJECTS_CHECK,
            severity="warn" if total else None,
            summary=summary,
            owners=owners,
            gate=quality_gate,
            metadata={"parked": total},
        )

    return _check
