"""Source freshness as blocking checks, plus the job and sensor that evaluate it between runs.

One multi-asset check per source puts a ``freshness`` check on each of its raw tables (the
verdict is per source: see ``expectations/freshness.py``). In the nightly run a stale
source blocks dbt, publishing and the syncs, and the message carries its last load time.
``freshness_job`` runs only these checks; ``freshness_sensor`` starts it every hour so a
feed that stops is noticed before the next night (its failures alert like any check).
"""

import time

import dagster as dg

from orchestration.defs.quality.report import check_result
from orchestration.defs.quality.resources import QualityGate
from orchestration.resources import RevloopPaths

FRESHNESS_CHECK = "freshness"


def build_freshness_check(
    source: str, tables: dict[str, dg.AssetKey], owners: list[str]
) -> dg.AssetChecksDefinition:
    """``tables``: raw table name (``<source>__<entity>``) → its asset key."""
    specs = [
        dg.AssetCheckSpec(
            name=FRESHNESS_CHECK,
            asset=key,
            blocking=True,
            description=f"{source} delivered within its contracts' freshness_hours "
            "(last file of any of its tables in raw._manifest, at the run's as-of instant); a "
            "stale source blocks the sync.",
        )
        for key in tables.values()
    ]

    @dg.multi_asset_check(specs=specs, name=f"freshness_{source}", can_subset=True)
    def _check(
        context: dg.AssetCheckExecutionContext, paths: RevloopPaths, quality_gate: QualityGate
    ):
        from expectations.freshness import source_freshness

        (fresh,) = source_freshness(
            paths.warehouse_path, quality_gate.as_of_for(context), sources=[source]
        )
        meta = {
            "last_load": fresh.last_load.isoformat() if fresh.last_load else "never",
            "max_age_hours": fresh.max_age_hours,
            "age_hours": fresh.age_hours if fresh.age_hours is not None else -1.0,
        }
        selected = context.selected_asset_check_keys
        for key in tables.values():
            if dg.AssetCheckKey(key, FRESHNESS_CHECK) not in selected:
                continue
            yield check_result(
                context,
                asset_key=key,
                check_name=FRESHNESS_CHECK,
                severity=fresh.severity,
                summary=fresh.message(),
                owners=owners,
                gate=quality_gate,
                metadata=meta,
            )

    return _check


def build_freshness_job(checks: list[dg.AssetChecksDefinition]):
    return dg.define_asset_job(
        "freshness",
        selection=dg.AssetSelection.checks(*checks),
        description="Evaluate the sources' freshness checks only (started by freshness_sensor).",
        executor_def=dg.in_process_executor,
    )


def build_freshness_sensor(job) -> dg.SensorDefinition:
    @dg.sensor(
        job=job,
        name="freshness_sensor",
        minimum_interval_seconds=3600,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Every hour: evaluate every source's freshness check (alerts on stale).",
    )
    def _sensor(context: dg.SensorEvaluationContext):
        # one run per hour slot: the key makes a second tick within the hour a no-op
        slot = int(context.cursor or 0)
        hour = int(time.time() // 3600)
        if hour <= slot:
            return dg.SkipReason("freshness already evaluated this hour")
        context.update_cursor(str(hour))
        return dg.RunRequest(run_key=f"freshness-{hour}")

    return _sensor
