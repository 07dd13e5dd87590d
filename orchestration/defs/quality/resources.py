"""The gate's settings as one Dagster resource: as-of instant, GX folder, snapshot, alerts.

Built from the environment in ``orchestration/resources.py`` like every other resource;
library code receives explicit values. Empty values mean the documented defaults, all
derived from the warehouse path so every warehouse (a test's, the demo's) owns its own.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg

AS_OF_TAG = "revloop/as_of"  # set by `revloop run --as-of` (and usable from the Launchpad)


def parse_as_of(text: str) -> dt.datetime:
    """``2026-10-31`` (the end of that day), ``2026-10-31 23:59:59`` (UTC) or ISO 8601 with an
    offset or ``Z``, as an aware UTC instant (the same forms as ``revloop run --as-of``)."""
    raw = text.strip()
    if len(raw) == 10:
        return dt.datetime.combine(dt.date.fromisoformat(raw), dt.time(23, 59, 59), tzinfo=dt.UTC)
    value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


class QualityGate(dg.ConfigurableResource):
    """Where the gate keeps its artefacts and whom it tells.

    ``as_of``: a fixed as-of instant for freshness, monitors and the release (tests, the
    Launchpad); empty = the run's ``revloop/as_of`` tag (``revloop run --as-of``), else the
    run's start time, as dbt does. ``gx_dir``: the GX file context (``REVLOOP_GX_DIR``; default
    ``<warehouse dir>/gx``). ``snapshot``: the published read-only snapshot
    (``REVLOOP_SNAPSHOT``; default ``<warehouse dir>/revloop_published.duckdb``).
    ``alert_webhook_url``: Slack-compatible incoming webhook (``REVLOOP_ALERT_WEBHOOK_URL``;
    empty = run log only; a secret, never logged). ``accept_release_diff``: accept this
    run's release diff (``REVLOOP_ACCEPT_RELEASE_DIFF=1``) after a deliberate change.
    """

    as_of: str = ""
    gx_dir: str = ""
    snapshot: str = ""
    alert_webhook_url: str = ""
    accept_release_diff: bool = False

    def as_of_for(self, context: object) -> dt.datetime:
        """The as-of of the run ``context`` belongs to (see the class docstring)."""
        if self.as_of:
            return parse_as_of(self.as_of)
        run = getattr(context, "run", None)
        tag = (getattr(run, "tags", None) or {}).get(AS_OF_TAG)
        if tag:
            return parse_as_of(tag)
        instance = getattr(context, "instance", None)
        record = instance.get_run_record_by_id(run.run_id) if instance and run else None
        if record is not None and record.create_timestamp is not None:
            return record.create_timestamp.astimezone(dt.UTC)
        return dt.datetime.now(dt.UTC)

    def context_root(self, warehouse: Path) -> Path:
        return Path(self.gx_dir) if self.gx_dir else Path(warehouse).resolve().parent / "gx"

    def snapshot_path(self, warehouse: Path) -> Path:
        from orchestration.defs.publish.snapshot import snapshot_location

        return snapshot_location(warehouse, self.snapshot)
