"""The reverse-ETL engine: sync YAML → plan (diff against state) → guarded, batched writes.

Public API: `run_syncs(warehouse, syncs_dir=None, names=None, dry_run=False,
destinations=None, crm=None, full_resync=(), lock_wait=0.0, retry_parked=False)
-> list[SyncResult]`, `list_rejects(warehouse, names)`.
"""

from reverse_etl.engine.config import SyncConfig, SyncConfigError, load_sync_file, load_syncs
from reverse_etl.engine.guardrails import GuardrailViolation
from reverse_etl.engine.lock import SyncAlreadyRunning
from reverse_etl.engine.planner import Plan, PlannedChange, SyncSourceError, build_plan
from reverse_etl.engine.runner import (
    MappingChanged,
    SyncResult,
    list_rejects,
    run_sync,
    run_syncs,
)
from reverse_etl.engine.schema_check import SchemaMismatch

__all__ = [
    "MappingChanged",
    "SchemaMismatch",
    "SyncAlreadyRunning",
    "list_rejects",
    "GuardrailViolation",
    "Plan",
    "PlannedChange",
    "SyncConfig",
    "SyncConfigError",
    "SyncResult",
    "SyncSourceError",
    "build_plan",
    "load_sync_file",
    "load_syncs",
    "run_sync",
    "run_syncs",
]
