"""The gate's settings as one Dagster resource: as-of instant, GX folder, snapshot, alerts.

Built from the environment in ``orchestration/resources.py`` like every other resource;
library code receives explicit values. Empty values mean the documented defaults, all
derived from the warehouse path so every warehouse (a test's, the demo's) owns its own.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg

DEFAULT_SNAPSHOT_NAME = "revloop_published.duckdb"


def parse_as_of(text: str) -> dt.datetime:
    """``2026-10-31``, ``2026-10-31 23:59:59`` or ISO with offset/Z, as an aware UTC instant."""
    text = text.strip().replace("Z", "+00:00")
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


class QualityGate(dg.ConfigurableResource):
    """Where the gate keeps its artefacts and whom it tells.

    ``as_of``: the run's as-of instant (``REVLOOP_AS_OF``; empty = now, UTC) for freshness and
    monitors. ``gx_dir``: the GX file context (``REVLOOP_GX_DIR``; default
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

    def as_of_instant(self) -> dt.datetime:
        return parse_as_of(self.as_of) if self.as_of else dt.datetime.now(dt.UTC)

    def context_root(self, warehouse: Path) -> Path:
        return Path(self.gx_dir) if self.gx_dir else Path(warehouse).resolve().parent / "gx"

    def snapshot_path(self, warehouse: Path) -> Path:
        if self.snapshot:
            return Path(self.snapshot)
        return Path(warehouse).resolve().parent / DEFAULT_SNAPSHOT_NAME
