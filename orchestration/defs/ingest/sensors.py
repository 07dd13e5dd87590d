"""Start an ingest run when extract files land that the warehouse has not loaded yet."""

from __future__ import annotations

import hashlib

import dagster as dg

from orchestration.defs.ingest.assets import ingest_job
from orchestration.settings import Settings


def _file_names(pending: object) -> list[str]:
    """Normalise what ``list_pending_files`` returns (paths, file objects or a dict by source)."""
    if isinstance(pending, dict):
        items = [f for files in pending.values() for f in files]
    else:
        items = list(pending or [])
    return sorted(str(getattr(f, "relative", f)) for f in items)


@dg.sensor(
    job=ingest_job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED
)
def new_extract_files_sensor(context: dg.SensorEvaluationContext):
    """One run per distinct set of pending files (the run key makes it fire once per set)."""
    from connectors.load import list_pending_files

    settings = Settings.from_env()
    names = _file_names(list_pending_files(settings.warehouse, settings.extracts))
    if not names:
        return dg.SkipReason(f"no new extract files in {settings.extracts}")
    run_key = hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]
    context.log.info("%d new extract files, e.g. %s", len(names), names[0])
    return dg.RunRequest(run_key=run_key, tags={"revloop/pending_files": str(len(names))})
