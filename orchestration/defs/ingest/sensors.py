"""Start an ingest run when extract files land that the warehouse has not loaded as they are.

"Pending" means a new path, a path whose size or mtime changed since its last delivery (a
file rewritten in place: GA4 rewrites a day for three days), or a delivery that failed and
was not set aside. The run key is the set of pending files; when a run for a set finished and
the same set is still pending (a file failed again), the next tick asks again under a new
key, so a failed set is retried instead of being skipped forever by Dagster's run-key
de-duplication. ``revloop files --ignore`` takes a delivery out of the set.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from orchestration.defs.ingest.assets import ingest_job
from orchestration.resources import RevloopPaths

RUN_KEY_TAG = "dagster/run_key"


def _fingerprint(extracts: Path, pending: list[Path]) -> tuple[str, list[str]]:
    """(hash of the pending set, their names): a path plus its size and mtime."""
    names, parts = [], []
    for path in sorted(pending):
        try:
            st = path.stat()
        except OSError:
            continue
        rel = path.relative_to(extracts).as_posix() if path.is_relative_to(extracts) else str(path)
        names.append(rel)
        parts.append(f"{rel}\t{st.st_size}\t{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16], names


def _finished(instance: dg.DagsterInstance, run_key: str) -> bool | None:
    """Whether the run requested under ``run_key`` has finished (None: no such run)."""
    runs = instance.get_runs(filters=dg.RunsFilter(tags={RUN_KEY_TAG: run_key}), limit=1)
    if not runs:
        return None
    return runs[0].is_finished


def decide(
    cursor: str | None, fingerprint: str, finished: Callable[[str], bool | None]
) -> tuple[str | None, dict]:
    """(run key to request or None, new cursor) for a pending set with this fingerprint;
    ``finished(run_key)`` says whether that run is over (None: there is no such run)."""
    state = json.loads(cursor) if cursor else {}
    if state.get("fingerprint") != fingerprint:
        state = {"fingerprint": fingerprint, "attempt": 0}
        return f"{fingerprint}-0", state
    last_key = f"{fingerprint}-{state['attempt']}"
    if finished(last_key) is False:
        return None, state  # still queued or running
    state = {"fingerprint": fingerprint, "attempt": state["attempt"] + 1}
    return f"{fingerprint}-{state['attempt']}", state


@dg.sensor(
    job=ingest_job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED
)
def new_extract_files_sensor(context: dg.SensorEvaluationContext, paths: RevloopPaths):
    """One run per set of pending files; a failed set is asked for again on the next tick.
    Paths come from the injected `paths` resource (the same the loader assets use), never
    from the environment inside the tick."""
    from connectors.load import list_pending_files

    extracts = paths.extracts_path
    pending = list_pending_files(paths.warehouse_path, extracts)
    if not pending:
        return dg.SkipReason(f"no new or changed extract files in {extracts}")
    fingerprint, names = _fingerprint(extracts, pending)
    run_key, state = decide(
        context.cursor, fingerprint, lambda key: _finished(context.instance, key)
    )
    context.update_cursor(json.dumps(state))
    if run_key is None:
        return dg.SkipReason(f"{len(names)} pending file(s): the run for them is still going")
    attempt = state["attempt"]
    context.log.info(
        "%d pending extract file(s), e.g. %s%s",
        len(names),
        names[0],
        f" (asking again, attempt {attempt + 1})" if attempt else "",
    )
    return dg.RunRequest(
        run_key=run_key,
        tags={"revloop/pending_files": str(len(names)), "revloop/attempt": str(attempt + 1)},
    )
