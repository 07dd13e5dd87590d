"""Whether a nightly run has anything to do, decided before it starts (a few file stats and
two small queries), so a second run with nothing new costs seconds, not a rebuild.

A run's output depends on: the extract files (what the loader would load), the deliveries
set aside (``revloop files --ignore``), the definitions (the dbt project, the expectations,
the sync YAML), the CRM it writes to, and the as-of date. Scores decay by whole calendar
days (issue 15), so within one UTC day the same inputs give the same marts; a new day
rebuilds even with no new files, because the clock moved. Every successful nightly run
records its inputs as run tags (``revloop/fingerprint``, ``revloop/as_of``); the next run is
skipped when the newest nightly run succeeded with the same fingerprint and as-of date,
no extract file is pending (new, rewritten, or failed and not set aside) and no sync record
waits in the dead-letter table for a retry. Anything else, or any doubt (the warehouse
busy, no earlier run, a run started from the UI without tags), runs the whole job; so does
``revloop run --force``. Figures that use the as-of instant within a day (for example "web
visits in the last 7 days") then stay as of the last build, whose as-of the published
snapshot states.

Like dbt's ``source_status:fresher+`` or Dagster's ``any_deps_updated`` conditions: build
what changed; here "changed" is the whole job's inputs, since the job rebuilds as a whole.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.settings import REPO_ROOT, Settings

log = logging.getLogger(__name__)

FINGERPRINT_TAG = "revloop/fingerprint"
AS_OF_TAG = "revloop/as_of"
# What defines the build's output besides the data (relative to the repository).
DEFINITION_FOLDERS = (
    "dbt_project/models",
    "dbt_project/macros",
    "dbt_project/seeds",
    "dbt_project/tests",
    "expectations",
)
DEFINITION_FILES = ("dbt_project/dbt_project.yml",)
DEFINITION_SUFFIXES = {".sql", ".py", ".yml", ".yaml", ".csv", ".json", ".md"}


@dataclass(frozen=True)
class Verdict:
    """``up_to_date``: nothing to do; ``reason``: why (either way), for the console."""

    up_to_date: bool
    reason: str


def _definition_files(root: Path, syncs_dir: Path) -> list[Path]:
    files = [root / f for f in DEFINITION_FILES if (root / f).exists()]
    for folder in (*(root / f for f in DEFINITION_FOLDERS), syncs_dir):
        if folder.is_dir():
            files += [
                p
                for p in folder.rglob("*")
                if p.is_file() and p.suffix in DEFINITION_SUFFIXES and "__pycache__" not in p.parts
            ]
    return sorted(set(files))


def _active_ignores(warehouse: Path) -> list[tuple[str, str]]:
    """(path, checksum) of the deliveries set aside; raises duckdb errors when busy."""
    if not warehouse.exists():
        return []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
            ).fetchall()
        }
        if "_ignored_deliveries" not in tables:
            return []
        from connectors.load.manifest import active_ignores

        return sorted(active_ignores(con))


def fingerprint(settings: Settings, root: Path = REPO_ROOT) -> str:
    """One hash of everything but the data and the clock that shapes a run's output: the
    definitions' bytes, the deliveries set aside and the CRM written to (its address, never
    a secret)."""
    digest = hashlib.sha256()
    for path in _definition_files(root, settings.syncs_dir):
        name = path.relative_to(root) if path.is_relative_to(root) else path
        digest.update(f"{name}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    try:
        for path, checksum in _active_ignores(settings.warehouse):
            digest.update(f"ignored\0{path}\0{checksum}\0".encode())
    except (duckdb.IOException, duckdb.ConnectionException):
        # busy: unknown, so this fingerprint never matches a later run's (which then runs)
        digest.update(b"ignored\0unknown\0")
    crm = (
        f"sandbox\0{settings.sandbox_db}"
        if settings.uses_sandbox
        else f"{settings.salesforce_instance_url}\0{settings.hubspot_base_url}"
    )
    digest.update(f"crm\0{crm}".encode())
    return digest.hexdigest()[:16]


def _count_if_present(
    warehouse: Path, schema: str, table: str, column: str, sql: str, *params: object
) -> int:
    """``sql``'s count on a read-only connection, 0 when the warehouse, the table or the
    column does not exist yet (a first night, a warehouse from before the column)."""
    if not warehouse.exists():
        return 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        present = con.execute(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? AND column_name = ?",
            [schema, table, column],
        ).fetchone()[0]
        return con.execute(sql, list(params)).fetchone()[0] if present else 0


def _waiting_dead_letters(warehouse: Path) -> int:
    """Sync records waiting for a retry (dead letters not parked for a human)."""
    return _count_if_present(
        warehouse, "reverse_etl", "_sync_dead_letter", "parked",
        "SELECT count(*) FROM reverse_etl._sync_dead_letter WHERE NOT coalesce(parked, false)",
    )  # fmt: skip


def as_of_date(as_of: str) -> str:
    """The UTC calendar date of an as-of text (``2026-10-31 23:59:59``): the granularity at
    which the marts move with the clock."""
    return as_of.strip()[:10]


def check(settings: Settings, instance, as_of: str, job_name: str = "nightly") -> Verdict:
    """Is a run of ``job_name`` at ``as_of`` up to date with the newest one recorded in
    ``instance`` (a DagsterInstance)? Never raises for a busy warehouse: then it runs."""
    from dagster import DagsterRunStatus, RunsFilter

    from connectors.load import list_pending_files

    records = instance.get_run_records(filters=RunsFilter(job_name=job_name), limit=1)
    if not records:
        return Verdict(False, "no earlier run")
    last, ended = records[0].dagster_run, records[0].end_time
    if last.status != DagsterRunStatus.SUCCESS or ended is None:
        return Verdict(False, f"the last run {last.run_id[:8]} ended {last.status.value}")
    last_as_of = last.tags.get(AS_OF_TAG, "")
    if as_of_date(last_as_of) != as_of_date(as_of):
        return Verdict(False, f"new as-of date ({as_of_date(as_of)}; last run {last_as_of or '?'})")
    try:
        current = fingerprint(settings)
        if last.tags.get(FINGERPRINT_TAG) != current:
            return Verdict(False, "definitions, set-aside deliveries or CRM changed")
        pending = list_pending_files(settings.warehouse, settings.extracts)
        finished = dt.datetime.fromtimestamp(ended, dt.UTC)
        loaded_since = _loaded_since(settings.warehouse, finished)
        waiting = _waiting_dead_letters(settings.warehouse)
    except (duckdb.IOException, duckdb.ConnectionException) as exc:  # busy: do not guess
        log.info("up-to-date check could not read the warehouse: %s", exc)
        return Verdict(False, "warehouse busy")
    if pending:
        return Verdict(False, f"{len(pending)} new or changed extract file(s)")
    if loaded_since:
        return Verdict(False, f"{loaded_since} delivery(ies) loaded since the last run")
    if waiting:
        return Verdict(False, f"{waiting} sync record(s) waiting for a retry")
    return Verdict(
        True,
        f"nothing new since run {last.run_id[:8]} (finished {finished:%Y-%m-%d %H:%M} UTC, as "
        f"of {last_as_of} UTC): no new or changed extract file, same definitions, same as-of "
        "date, no sync retry waiting",
    )


def _loaded_since(warehouse: Path, moment: dt.datetime) -> int:
    """Deliveries recorded after ``moment`` (an ingest run, say, loaded files the last
    nightly build has not seen; the files are then no longer pending)."""
    return _count_if_present(
        warehouse, "raw", "_manifest", "loaded_at",
        "SELECT count(*) FROM raw._manifest WHERE loaded_at > ?", moment,
    )  # fmt: skip
