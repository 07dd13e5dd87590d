"""Run-level alerts: the run-failure sensor (daemon / ``dagster dev``) and the same alert
for ``revloop run``, which executes in-process where no sensor runs.

The alert names the run, each failed step with its root error, each failed error-level
check, and the owner and backup of the first asset that broke.
"""

from collections.abc import Iterable
from typing import Any

import dagster as dg

from orchestration.defs.quality.alerts import Alert, send
from orchestration.defs.quality.owners import fallback_owners, owner_and_backup
from orchestration.defs.quality.resources import QualityGate


def _root_error(event: Any) -> str:
    err = getattr(event.event_specific_data, "error", None)
    while err is not None and err.cause is not None:
        err = err.cause
    if err is None:
        return ""
    lines = [line for line in err.message.strip().splitlines() if line.strip()]
    return " ".join(lines[:3])[:400]


def _owners_of(graph: Any, keys: Iterable[dg.AssetKey]) -> list[str]:
    for key in keys:
        if graph is not None and graph.has(key) and graph.get(key).owners:
            return list(graph.get(key).owners)
    return fallback_owners()


def _step_assets(graph: Any, step_key: str) -> list[dg.AssetKey]:
    """Asset keys whose op name appears in the step key (best effort for the owner)."""
    if graph is None:
        return []
    keys = []
    for key in graph.get_all_asset_keys():
        if key.to_python_identifier() in step_key or step_key.endswith(key.path[-1]):
            keys.append(key)
    return keys


def run_failure_alert(
    *,
    job_name: str,
    run_id: str,
    step_failures: list[tuple[str, str]],
    failed_checks: list[tuple[dg.AssetCheckKey, str]],
    graph: Any = None,
) -> Alert:
    """The alert of one failed run: steps with their errors, error-level checks."""
    keys = [k.asset_key for k, _ in failed_checks]
    for step, _ in step_failures:
        keys.extend(_step_assets(graph, step))
    owner, backup = owner_and_backup(_owners_of(graph, keys))
    lines = [f"failed step {step}: {error}" for step, error in step_failures]
    lines += [
        f"failed check {k.asset_key.to_user_string()}:{k.name}: {desc[:400]}"
        for k, desc in failed_checks
    ]
    first_check = failed_checks[0][0] if failed_checks else None
    return Alert(
        kind="run",
        severity="error",
        title=f"run of job {job_name} failed; nothing was published or synced after the failure",
        message="\n".join(lines) or "the run failed (see the run log)",
        asset=first_check.asset_key.to_user_string() if first_check else "",
        check=first_check.name if first_check else "",
        owner=owner,
        backup=backup,
        run_id=run_id,
    )


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sends every failed run to the run log and REVLOOP_ALERT_WEBHOOK_URL, naming "
    "the failed steps and checks and the owner and backup of the asset that broke.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext, quality_gate: QualityGate):
    run = context.dagster_run
    steps = [(e.step_key or "?", _root_error(e)) for e in context.get_step_failure_events()]
    failed_checks = []
    for record in context.instance.all_logs(
        run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ):
        evaluation = record.dagster_event.event_specific_data
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            failed_checks.append((evaluation.asset_check_key, evaluation.description or ""))
    graph = context.repository_def.asset_graph if context.repository_def else None
    alert = run_failure_alert(
        job_name=run.job_name,
        run_id=run.run_id,
        step_failures=steps,
        failed_checks=failed_checks,
        graph=graph,
    )
    send(alert, quality_gate.alert_webhook_url)


def alert_for_result(result: Any, defs: Any, webhook_url: str = "") -> str:
    """Send the run-failure alert of an in-process run result; the summary line to print."""
    steps = [
        (e.step_key or "?", _root_error(e))
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.STEP_FAILURE
    ]
    failed_checks = [
        (e.asset_check_key, e.description or "")
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    alert = run_failure_alert(
        job_name=result.job_def.name,
        run_id=result.run_id,
        step_failures=steps,
        failed_checks=failed_checks,
        graph=defs.resolve_asset_graph(),
    )
    url = webhook_url
    delivered = send(alert, url)
    where = "run log + webhook" if url and delivered else "run log"
    if url and not delivered:
        where += " (webhook delivery FAILED)"
    return f"  alert sent ({where}): owner {alert.owner}, backup {alert.backup}"
