"""Which raw tables each source produces, read from the loaders' contract YAML files.

The contracts (``connectors/contracts/<source>/<entity>.yml``) are data that name every raw
table, so the asset graph follows them without importing loader internals. The fallback list
mirrors docs/architecture.md for a checkout whose contracts are not there yet.
"""

from __future__ import annotations

import logging
from pathlib import Path

from orchestration.settings import REPO_ROOT

log = logging.getLogger(__name__)

CONTRACTS_DIR = REPO_ROOT / "connectors" / "contracts"

SOURCES: tuple[str, ...] = (
    "salesforce",
    "marketo",
    "ga4",
    "google_ads",
    "meta_ads",
    "linkedin_ads",
)

_FALLBACK: dict[str, tuple[str, ...]] = {
    "salesforce": (
        "account",
        "campaign",
        "campaign_member",
        "contact",
        "event",
        "lead",
        "lead_history",
        "opportunity",
        "opportunity_contact_role",
        "opportunity_history",
        "task",
        "user",
    ),
    "marketo": ("activities", "leads"),
    "ga4": ("events",),
    "google_ads": ("campaign", "click_view"),
    "meta_ads": ("insights",),
    "linkedin_ads": ("analytics",),
}


def source_entities(contracts_dir: Path = CONTRACTS_DIR) -> dict[str, tuple[str, ...]]:
    """``{source: (entity, ...)}`` for every source, from contract file names when present."""
    result: dict[str, tuple[str, ...]] = {}
    for source in SOURCES:
        folder = contracts_dir / source
        entities = tuple(sorted(p.stem for p in folder.glob("*.yml"))) if folder.is_dir() else ()
        result[source] = entities or _FALLBACK[source]
    return result
