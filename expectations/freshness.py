"""Source freshness: how long ago each source last delivered, against its contracts.

The contracts declare ``freshness_hours`` (and ``expected_frequency``) per entity; a source
is stale when its newest delivery — any file of any of its tables recorded in
``raw._manifest`` as loaded, empty or duplicate (an empty page or an identical re-export
still proves the extract ran) — is older than the smallest ``freshness_hours`` of its
contracts at the run's as-of instant. Freshness is per source, not per table: an
incremental Salesforce pull writes no page for an object nobody changed, and a quiet
object must not stop the night.

A source never loaded at all is a warning (a feed the company may not use), not an error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from expectations import warehouse as wh

DELIVERED = ("loaded", "empty", "duplicate")


@dataclass(frozen=True)
class SourceFreshness:
    """One source's last load time against its contracts' freshness expectation."""

    source: str
    tables: tuple[str, ...]
    last_load: dt.datetime | None
    max_age_hours: float
    as_of: dt.datetime
    owner: str
    backup: str
    expected_frequency: str

    @property
    def age_hours(self) -> float | None:
        if self.last_load is None:
            return None
        return max(0.0, (self.as_of - self.last_load).total_seconds() / 3600)

    @property
    def severity(self) -> str | None:
        if self.last_load is None:
            return "warn"
        return "error" if self.age_hours > self.max_age_hours else None

    @property
    def passed(self) -> bool:
        return self.severity != "error"

    def message(self) -> str:
        at = f"as of {self.as_of:%Y-%m-%d %H:%M} UTC"
        if self.last_load is None:
            return (
                f"{self.source}: no file has ever been loaded ({at}); if the company does not "
                f"use {self.source}, remove its contracts"
            )
        head = (
            f"{self.source}: last load {self.last_load:%Y-%m-%d %H:%M} UTC, "
            f"{self.age_hours:.1f} h before the run {at}"
        )
        if self.severity == "error":
            return (
                f"{head}; its contracts expect a {self.expected_frequency} delivery at most "
                f"{self.max_age_hours:g} h old: STALE — no new {self.source} file reached the "
                "extracts folder (extract job down, credentials expired?)"
            )
        return f"{head}; fresh (at most {self.max_age_hours:g} h allowed)"


def _as_utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def source_freshness(
    warehouse: Path, as_of: dt.datetime, sources: list[str] | None = None
) -> list[SourceFreshness]:
    """Freshness of every source with contracts (or of ``sources``) at ``as_of``."""
    from connectors.contracts import load_contracts

    as_of = _as_utc(as_of)
    by_source: dict[str, list] = {}
    for contract in load_contracts():
        if sources is None or contract.source in sources:
            by_source.setdefault(contract.source, []).append(contract)
    last: dict[str, dt.datetime] = {}
    if Path(warehouse).exists():
        with wh.connect(Path(warehouse)) as con:
            has_manifest = wh.table_columns(con, "raw._manifest") is not None
            rows = (
                con.execute(
                    "SELECT source, max(loaded_at) FROM raw._manifest "
                    f"WHERE status IN {DELIVERED} GROUP BY source"
                ).fetchall()
                if has_manifest
                else []
            )
        last = {s: _as_utc(t) for s, t in rows if s is not None and t is not None}
    out = []
    for source, contracts in sorted(by_source.items()):
        out.append(
            SourceFreshness(
                source=source,
                tables=tuple(sorted(c.table for c in contracts)),
                last_load=last.get(source),
                max_age_hours=float(min(c.freshness_hours for c in contracts)),
                as_of=as_of,
                owner=contracts[0].owner,
                backup=contracts[0].backup,
                expected_frequency=contracts[0].expected_frequency,
            )
        )
    return out
