"""One way for every gate check to report: Dagster result, run log line and alert.

A check that does not pass names itself, its asset, the asset's owner and backup, in the
check's description (what ``revloop run`` prints) and in the alert (run log + webhook).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg

from orchestration.defs.quality.alerts import Alert, send
from orchestration.defs.quality.owners import owner_and_backup
from orchestration.defs.quality.resources import QualityGate

SEVERITY = {"error": dg.AssetCheckSeverity.ERROR, "warn": dg.AssetCheckSeverity.WARN}


def check_result(
    context: Any,
    *,
    asset_key: dg.AssetKey,
    check_name: str,
    severity: str | None,
    summary: str,
    owners: Sequence[str] | None,
    gate: QualityGate,
    metadata: Mapping[str, Any] | None = None,
    links: Sequence[str] = (),
) -> dg.AssetCheckResult:
    """``severity`` None = passed; "warn" = reported, passes the gate; "error" = blocks."""
    owner, backup = owner_and_backup(owners)
    asset = asset_key.to_user_string()
    meta = {"owner": owner, "backup": backup, **(metadata or {})}
    if severity is None:
        return dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=check_name,
            passed=True,
            description=summary,
            metadata=meta,
        )
    description = (
        f"{summary} (check {check_name} on {asset}; owner {owner or 'unassigned'}, "
        f"backup {backup or 'unassigned'})"
    )
    run_id = getattr(getattr(context, "run", None), "run_id", "") or ""
    send(
        Alert(
            kind="check",
            severity=severity,
            title=f"{check_name} on {asset} " + ("failed" if severity == "error" else "warns"),
            message=summary,
            asset=asset,
            check=check_name,
            owner=owner,
            backup=backup,
            run_id=run_id,
            links=tuple(links),
        ),
        gate.alert_webhook_url,
    )
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=False,
        severity=SEVERITY[severity],
        description=description,
        metadata=meta,
    )
