"""The reverse-ETL engine: sync YAML → plan (diff against state) → guarded, batched writes.

Public API: `run_syncs(warehouse, syncs_dir=None, names=None, dry_run=False,
destinations=None) -> list[SyncResult]`.
"""

from reverse_etl.engine.config import SyncConfig, SyncConfigError, load_sync_file, load_syncs
from reverse_etl.engine.guardrails import GuardrailViolation
from reverse_etl.engine.planner import Plan, PlannedChange, SyncSourceError, build_plan
from reverse_etl.engine.runner import SyncResult, run_sync, run_syncs

__all__ = [
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
