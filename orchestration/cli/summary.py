"""The closing summary of ``revloop run``: rows per source, models, checks, records synced,
and for a failure exactly what broke and that the sync did not run."""

from __future__ import annotations

from typing import Any


def _check_detail(evaluation: Any) -> str:
    if evaluation.description:
        return evaluation.description
    meta = {k: getattr(v, "value", v) for k, v in (evaluation.metadata or {}).items()}
    rows = meta.get("dagster_dbt/failed_row_count")
    return f"dbt test failed ({rows} failing rows)" if rows is not None else "failed"


def _root_cause(event: Any) -> str:
    """The innermost error message of a failed step (dagster wraps the real one)."""
    err = getattr(event.event_specific_data, "error", None)
    while err is not None and err.cause is not None:
        err = err.cause
    if err is None:
        return ""
    lines = [line for line in err.message.strip().splitlines() if line.strip()]
    return " ".join(lines[:3])


def summarize_run(result: Any, defs: Any) -> tuple[bool, list[str]]:
    """Turn a Dagster run result into (ok, lines): rows per source, models built, checks,
    records synced, and for a failure exactly what broke and that the sync did not run."""
    from dagster import DagsterEventType

    graph = defs.resolve_asset_graph()

    def tags_of(key: Any) -> dict[str, str]:
        return dict(graph.get(key).tags or {}) if graph.has(key) else {}

    rows_by_source: dict[str, int] = {}
    totals_by_source: dict[str, int] = {}
    quarantined = 0
    models = 0
    synced = {"planned": 0, "sent": 0, "failed": 0, "unchanged": 0}
    syncs_done: list[str] = []
    snapshot = None
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        key = mat.asset_key
        group = graph.get(key).group_name if graph.has(key) else None
        meta = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
        if group == "ingest":
            source = key.path[-1].split("__")[0]
            rows_by_source[source] = rows_by_source.get(source, 0) + int(meta.get("rows_loaded", 0))
            totals_by_source[source] = totals_by_source.get(source, 0) + int(
                meta.get("rows_total", 0)
            )
            quarantined += int(meta.get("rows_quarantined", 0))
        elif key.path == ["publish", "snapshot"]:
            snapshot = meta.get("snapshot")
        elif key.path[0] == "publish":
            pass  # the release candidate: figures, not a model
        elif tags_of(key).get("revloop/role") == "sync":
            syncs_done.append(key.path[-1])
            for k in synced:
                synced[k] += int(meta.get(k, 0))
        else:
            models += 1

    from dagster import AssetCheckSeverity

    evaluations = result.get_asset_check_evaluations()
    # a WARN-severity check is reported but passes the gate (issue 21: severity)
    failed_checks = [
        e for e in evaluations if not e.passed and e.severity != AssetCheckSeverity.WARN
    ]
    warned_checks = [
        e for e in evaluations if not e.passed and e.severity == AssetCheckSeverity.WARN
    ]
    docs = next(
        (
            getattr(e.metadata["data_docs"], "value", e.metadata["data_docs"])
            for e in evaluations
            if "data_docs" in (e.metadata or {})
        ),
        None,
    )
    failures = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    planned_syncs = [
        k
        for k in result.job_def.asset_layer.selected_asset_keys
        if tags_of(k).get("revloop/role") == "sync"
    ]
    syncs_not_run = sorted(k.path[-1] for k in planned_syncs if k.path[-1] not in syncs_done)
    ok = result.success and not failed_checks

    lines = ["revloop run: " + ("OK" if ok else "FAILED")]
    in_raw = sum(totals_by_source.values())
    if rows_by_source and not any(rows_by_source.values()) and not quarantined:
        lines.append(f"  rows loaded this run: none, nothing new to load ({in_raw:,} rows in raw)")
    else:
        lines.append(
            "  rows loaded this run: "
            + (
                ", ".join(
                    f"{s} +{n:,} ({totals_by_source.get(s, 0):,} in raw)"
                    for s, n in sorted(rows_by_source.items())
                )
                or "none"
            )
            + f"; {quarantined:,} quarantined"
        )
    lines.append(f"  models/seeds built: {models}")
    lines.append(
        f"  checks passed: {len(evaluations) - len(failed_checks) - len(warned_checks)}"
        f"/{len(evaluations)}, {len(warned_checks)} warning(s)"
    )
    if syncs_done and not synced["planned"]:
        lines.append(
            f"  records synced: none, nothing changed to send ({synced['unchanged']:,} records "
            f"unchanged, {len(syncs_done)} syncs)"
        )
    else:
        lines.append(
            f"  records synced: {synced['sent']:,} sent, {synced['failed']:,} refused, "
            f"{synced['unchanged']:,} unchanged; {synced['planned']:,} planned "
            f"({len(syncs_done)} syncs)"
        )
    for e in failed_checks:
        key = e.asset_check_key
        lines.append(
            f"  FAILED check {key.asset_key.to_user_string()}:{key.name}: {_check_detail(e)}"
        )
    for e in failures:
        lines.append(f"  FAILED step {e.step_key}: {_root_cause(e)[:400]}")
    for e in warned_checks:
        key = e.asset_check_key
        lines.append(
            f"  WARN check {key.asset_key.to_user_string()}:{key.name}: {_check_detail(e)}"
        )
    lines.append(
        f"  published snapshot: {snapshot}"
        if snapshot
        else "  published snapshot: NOT updated (the last good snapshot stays in place)"
    )
    if docs:
        lines.append(f"  Data Docs: file://{docs}")
    if not ok:
        lines.append(
            "  the reverse ETL did NOT run"
            if not syncs_done
            else "  some syncs ran before the failure: " + ", ".join(sorted(syncs_done))
        )
    if syncs_not_run:
        lines.append("  syncs not run: " + ", ".join(syncs_not_run))
    return ok, lines
