"""Owners and backups of every asset, from the data that declares them.

Raw tables: their contract's ``owner`` and ``backup``. dbt models: ``meta.dagster.owners``
per folder in ``dbt_project.yml``. Syncs and the publish step: ``owners.yaml`` here. The
convention everywhere is ``owners[0]`` = owner, ``owners[1]`` = backup, so the Dagster UI
shows both and an alert can name each.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import dagster as dg
import yaml

OWNERS_FILE = Path(__file__).resolve().parent / "owners.yaml"


@cache
def _config() -> dict:
    return yaml.safe_load(OWNERS_FILE.read_text(encoding="utf-8")) or {}


@cache
def contract_owners() -> dict[str, tuple[str, str]]:
    """``{"<source>__<entity>": (owner, backup)}`` from the contracts."""
    from connectors.contracts import load_contracts

    return {c.table: (c.owner, c.backup) for c in load_contracts()}


def raw_owners(table: str) -> list[str]:
    """Owners list of ``raw.<table>`` (``table`` without the schema)."""
    pair = contract_owners().get(table)
    return list(pair) if pair else list(_config()["fallback"])


def sync_owners(destination: str) -> list[str]:
    return list(_config()["syncs"].get(destination) or _config()["fallback"])


def publish_owners() -> list[str]:
    return list(_config()["publish"])


def fallback_owners() -> list[str]:
    return list(_config()["fallback"])


def owner_and_backup(owners: Sequence[str] | None) -> tuple[str, str]:
    owners = list(owners or [])
    return (owners[0] if owners else "", owners[1] if len(owners) > 1 else "")


def with_default_owners(spec: dg.AssetSpec) -> dg.AssetSpec:
    """``spec`` with owners filled in when it has none (syncs by destination)."""
    if spec.owners:
        return spec
    if (spec.tags or {}).get("revloop/role") == "sync":
        destination = next(iter(k for k in (spec.kinds or ()) if k in _config()["syncs"]), "")
        return spec.replace_attributes(owners=sync_owners(destination))
    return spec.replace_attributes(owners=fallback_owners())
