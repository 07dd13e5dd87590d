"""Loader assets: ``connectors.load.load_source`` per source, one asset key per raw table.

Metadata holds this run's counts from the loader's report and the tables' totals, read back
with one set-based query. A file that breaks its contract (or is mostly bad rows) fails the
step after the good files are loaded, so dbt and the syncs never run on a half-delivered
source; `revloop files --ignore` sets such a delivery aside so the next run can go on.

DuckDB has one writer per file: every asset that writes the warehouse (these loaders, the dbt
build, the syncs) is in the concurrency pool ``revloop_warehouse``, limited to one step at a
time across all runs by the shipped ``dagster.yaml``; the loader also waits
(bounded) for the file's lock, in case a ``revloop`` command outside Dagster holds it.
"""

import logging
from collections import Counter
from pathlib import Path

import dagster as dg
import duckdb
from dagster import AssetExecutionContext

from orchestration.defs.ingest.sources import source_entities
from orchestration.defs.quality.owners import raw_owners
from orchestration.resources import RevloopPaths

log = logging.getLogger(__name__)

INGEST_GROUP = "ingest"
# The pool of every asset that writes the warehouse (dbt and sync assets name it too).
WAREHOUSE_POOL = "revloop_warehouse"


def raw_asset_key(source: str, entity: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", f"{source}__{entity}"])


def table_counts(warehouse: Path, tables: list[str]) -> dict[str, dict[str, int]]:
    """``{table: {"rows": n, "quarantined": m}}`` for ``raw.<t>`` and ``quarantine.<t>``."""
    counts = {t: {"rows": 0, "quarantined": 0} for t in tables}
    if not warehouse.exists():
        return counts
    with duckdb.connect(str(warehouse), read_only=True) as con:
        present = {
            (s, t)
            for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema in ('raw', 'quarantine')"
            ).fetchall()
        }
        parts = [
            f"select '{t}' as t, '{kind}' as k, count(*) as n from {schema}.\"{t}\""
            for t in tables
            for schema, kind in (("raw", "rows"), ("quarantine", "quarantined"))
            if (schema, t) in present
        ]
        if parts:
            for t, k, n in con.execute(" union all ".join(parts)).fetchall():
                counts[t][k] = int(n)
    return counts


def build_source_asset(source: str, entities: tuple[str, ...]) -> dg.AssetsDefinition:
    """A multi-asset that loads every new extract file of ``source``."""
    specs = [
        dg.AssetSpec(
            key=raw_asset_key(source, e),
            group_name=INGEST_GROUP,
            kinds={"duckdb", "python"},
            owners=raw_owners(f"{source}__{e}"),  # the contract's owner and backup
            description=f"raw.{source}__{e}: every version of every {source} {e} record "
            "as delivered, typed by its contract (connectors/contracts).",
        )
        for e in entities
    ]

    @dg.multi_asset(name=f"load_{source}", specs=specs, can_subset=False, pool=WAREHOUSE_POOL)
    def _load(context: AssetExecutionContext, paths: RevloopPaths):
        from connectors.contracts import load_contracts
        from connectors.load import load_source

        warehouse, extracts = paths.warehouse_path, paths.extracts_path
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        report = load_source(warehouse, extracts, source)
        tables = [f"{source}__{e}" for e in entities]
        contracts = load_contracts(source)
        redelivered = Counter(
            c.table for f in report.redelivered for c in contracts if c.matches(f)
        )
        counts = table_counts(warehouse, tables)
        for e, t in zip(entities, tables, strict=True):
            this_run = report.tables.get(t)
            yield dg.MaterializeResult(
                asset_key=raw_asset_key(source, e),
                metadata={
                    "table": f"raw.{t}",
                    "rows_total": dg.MetadataValue.int(counts[t]["rows"]),
                    "quarantined_total": dg.MetadataValue.int(counts[t]["quarantined"]),
                    "rows_loaded": dg.MetadataValue.int(this_run.rows_loaded if this_run else 0),
                    "rows_quarantined": dg.MetadataValue.int(
                        this_run.rows_quarantined if this_run else 0
                    ),
                    "files_loaded": dg.MetadataValue.int(this_run.files_loaded if this_run else 0),
                    "files_ignored": dg.MetadataValue.int(
                        this_run.files_ignored if this_run else 0
                    ),
                    "redelivered": dg.MetadataValue.int(redelivered[t]),
                    "batch_id": report.batch_id,
                },
            )
        context.log.info("%s", report.summary())
        if report.failures:
            # The good files are loaded and materialised above; a broken file stops the run.
            raise dg.Failure(
                description=f"{len(report.failures)} {source} file(s) broke their contract: "
                + "; ".join(f.error for f in report.failures)
                + " (fix and re-deliver, or set aside: revloop files --ignore PATH --reason ...)",
                metadata={"failed_files": [f.file for f in report.failures]},
            )

    return _load


ingest_assets: list[dg.AssetsDefinition] = [
    build_source_asset(source, entities) for source, entities in source_entities().items()
]

ingest_job = dg.define_asset_job(
    "ingest",
    selection=dg.AssetSelection.groups(INGEST_GROUP),
    description="Load new extract files into raw.* (requested by new_extract_files_sensor).",
    executor_def=dg.in_process_executor,
)
