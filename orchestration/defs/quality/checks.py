"""Every check of the gate, attached to the assets they judge.

* ``gx_<schema>__<table>``: GX suites (raw batch, marts, person payloads), blocking;
* ``monitors``: anomaly monitors per monitored table, blocking (warn findings pass);
* ``freshness``: per source, on each of its raw tables, blocking;
* ``parked_rejects``: per sync, non-blocking warning when records wait in the dead letter;
* ``release_diff`` lives on ``publish/release_candidate`` (orchestration/defs/publish).

A mart suite whose dbt model is not in the project yet (another issue builds it) is
attached to the release candidate and says "table not built yet" (a warning) until the
model lands; from then on it sits on the model's asset and a missing table is an error.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import dagster as dg

from orchestration.defs.dbt.assets import dbt_assets_defs, model_asset_key
from orchestration.defs.ingest.assets import raw_asset_key
from orchestration.defs.ingest.sources import source_entities
from orchestration.defs.publish.assets import RELEASE_KEY
from orchestration.defs.quality.freshness import build_freshness_check
from orchestration.defs.quality.gx_check import build_gx_check
from orchestration.defs.quality.monitor_checks import build_monitor_check
from orchestration.defs.quality.owners import fallback_owners, raw_owners, sync_owners
from orchestration.defs.quality.sync_checks import build_rejects_check
from orchestration.defs.reverse_etl.sync_asset import sync_asset_key
from orchestration.defs.reverse_etl.syncs import sync_refs

log = logging.getLogger(__name__)


def dbt_owners(key: dg.AssetKey) -> list[str]:
    for defn in dbt_assets_defs:
        spec = defn.specs_by_key.get(key)
        if spec is not None and spec.owners:
            return list(spec.owners)
    return fallback_owners()


def mart_keys() -> list[dg.AssetKey]:
    """Asset keys of the dbt models in the ``marts`` group (what publishing waits for)."""
    return [
        spec.key for defn in dbt_assets_defs for spec in defn.specs if spec.group_name == "marts"
    ]


def _target(table: str) -> tuple[dg.AssetKey, list[str], bool]:
    """(asset key, owners, model in project) of a ``schema.table`` the gate checks."""
    schema, name = table.split(".", 1)
    if schema == "raw":
        return raw_asset_key(*name.split("__", 1)), raw_owners(name), True
    key = model_asset_key(name)
    if key is None:
        return RELEASE_KEY, fallback_owners(), False
    return key, dbt_owners(key), True


def build_gx_checks() -> list[dg.AssetChecksDefinition]:
    from expectations.suites import PERSON_PAYLOADS, SUITES

    checks = []
    for name in [*SUITES, *PERSON_PAYLOADS]:
        key, owners, in_project = _target(SUITES[name].table if name in SUITES else name)
        if name in PERSON_PAYLOADS and not in_project:
            continue  # a payload nobody models: no sync reads it either
        checks.append(build_gx_check(name, key, owners, model_in_project=in_project))
    return checks


def build_monitor_checks() -> list[dg.AssetChecksDefinition]:
    from expectations.monitors import load_monitors, monitors_by_table

    checks = []
    for table, monitors in sorted(monitors_by_table(load_monitors()).items()):
        key, owners, in_project = _target(table)
        if not in_project:
            log.info("no dbt model for %s yet: its monitors are not attached", table)
            continue
        checks.append(build_monitor_check(table, key, monitors, owners))
    return checks


def build_freshness_checks() -> list[dg.AssetChecksDefinition]:
    checks = []
    for source, entities in source_entities().items():
        tables = {f"{source}__{e}": raw_asset_key(source, e) for e in entities}
        owners = raw_owners(next(iter(tables)))
        checks.append(build_freshness_check(source, tables, owners))
    return checks


def build_rejects_checks() -> list[dg.AssetChecksDefinition]:
    return [
        build_rejects_check(ref.name, sync_asset_key(ref.name), sync_owners(ref.destination))
        for ref in sync_refs()
    ]


freshness_checks: Sequence[dg.AssetChecksDefinition] = build_freshness_checks()
gate_checks: list[dg.AssetChecksDefinition] = [
    *build_gx_checks(),
    *build_monitor_checks(),
    *freshness_checks,
    *build_rejects_checks(),
]
