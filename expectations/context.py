"""The persistent Great Expectations file context the gate validates with.

One GX project folder per warehouse (default ``<warehouse dir>/gx``, beside the DuckDB file,
so every warehouse — a test's, the demo's, production's — owns its results): suites,
validation definitions and checkpoints written from ``expectations/suites.py`` at each run,
the validation results of every run (``uncommitted/validations``) and the Data Docs site
(``uncommitted/data_docs/local_site/index.html``), rebuilt incrementally by each checkpoint.
Open it in a notebook with ``gx.get_context(mode="file", context_root_dir=...)``.

The datasource is DuckDB through ``expectations/gx_duckdb.py`` (read-only), one query asset
per suite; raw suites get a batch definition partitioned by ``_batch_id`` so a checkpoint
validates exactly the load batch it is given.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from expectations import gx_duckdb
from expectations.suites import SuiteSpec

log = logging.getLogger(__name__)
# GX logs every store/site it touches at INFO: noise in a nightly run log.
logging.getLogger("great_expectations").setLevel(logging.WARNING)

DATASOURCE = "revloop_warehouse"
# Results (and their Data Docs pages) of this many runs are kept per suite; older ones are
# removed before a new run is stored, so the site and its index stay small.
KEEP_RUNS = 30
SITE = "local_site"
BATCH_DEFINITION = "load_batch"
WHOLE_TABLE = "whole_table"


def default_context_root(warehouse: Path) -> Path:
    """``<warehouse dir>/gx``: the GX project of this warehouse."""
    return Path(warehouse).resolve().parent / "gx"


def docs_index(context_root: Path) -> Path:
    return Path(context_root) / "uncommitted" / "data_docs" / SITE / "index.html"


@dataclass
class GateContext:
    """An open GX file context bound to one warehouse file."""

    root: Path
    warehouse: Path
    ctx: Any
    datasource: Any

    @property
    def docs_index(self) -> Path:
        return docs_index(self.root)

    def checkpoint_for(self, spec: SuiteSpec, *, build_docs: bool = True) -> Any:
        """Suite, asset, batch definition, validation definition and checkpoint of ``spec``,
        written into the context (replacing an older version of the suite). The checkpoint
        stores its result and, with ``build_docs``, renders it into Data Docs (about 1 s)."""
        import great_expectations as gx
        from great_expectations.core.partitioners import PartitionerColumnValue

        ctx = self.ctx
        asset = _replace_asset(self.datasource, spec.name, spec.query())
        if spec.scope == "batch":
            batch_def = asset.add_batch_definition(
                BATCH_DEFINITION,
                partitioner=PartitionerColumnValue(column_name="_batch_id"),
                # GX only validates date partitioners; a column value is what we need here
                validate_partitioner=False,
            )
        else:
            batch_def = asset.add_batch_definition_whole_table(WHOLE_TABLE)
        suite = gx.ExpectationSuite(name=spec.name, expectations=spec.expectations())
        # absent on the first run; GX raises a different error per store
        for store in (ctx.checkpoints, ctx.validation_definitions, ctx.suites):
            with contextlib.suppress(Exception):
                store.delete(spec.name)
        suite = ctx.suites.add(suite)
        vd = ctx.validation_definitions.add(
            gx.ValidationDefinition(name=spec.name, data=batch_def, suite=suite)
        )
        return ctx.checkpoints.add(
            gx.Checkpoint(
                name=spec.name,
                validation_definitions=[vd],
                actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs")]
                if build_docs
                else [],
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": 20},
            )
        )

    def close(self) -> None:
        """Release the DuckDB handle GX's engine pool keeps (another step may write next)."""
        sources = [self.datasource]
        with contextlib.suppress(Exception):
            sources += list(self.ctx.data_sources.all().values())
        for source in sources:
            with contextlib.suppress(Exception):  # nothing to release
                source.get_engine().dispose()


def build_docs(warehouse: Path, root: Path | None = None, run_name: str | None = None) -> Path:
    """Render the stored results of run ``run_name`` (default: every stored result) into
    the Data Docs site in one pass (one template compilation for all of them, ~1 s, instead
    of ~1 s per suite); the site's index lists every kept run. Returns the index page."""
    gate = open_context(warehouse, root)
    try:
        store = gate.ctx.validation_results_store
        keys = [k for k in store.list_keys() if run_name is None or k.run_id.run_name == run_name]
        if keys or run_name is None:
            gate.ctx.build_data_docs(resource_identifiers=keys or None)
    finally:
        gate.close()
    return gate.docs_index


def prune_history(root: Path, suite: str, keep_runs: int = KEEP_RUNS) -> int:
    """Delete all but the newest ``keep_runs`` runs of ``suite``'s results and pages."""
    import shutil

    removed = 0
    parts = suite.split(".")
    for base in (
        Path(root) / "uncommitted" / "validations",
        Path(root) / "uncommitted" / "data_docs" / SITE / "validations",
    ):
        folder = base.joinpath(*parts)
        if not folder.is_dir():
            continue
        runs = sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
        for old in runs[: max(0, len(runs) - keep_runs)]:
            shutil.rmtree(old, ignore_errors=True)
            removed += 1
    return removed


def _replace_asset(datasource: Any, name: str, query: str) -> Any:
    with contextlib.suppress(Exception):  # absent on the first run
        datasource.delete_asset(name)
    return datasource.add_query_asset(name, query=query)


def open_context(warehouse: Path, root: Path | None = None) -> GateContext:
    """Open (creating on first use) the GX file context of ``warehouse``."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    warehouse = Path(warehouse).resolve()
    root = Path(root) if root else default_context_root(warehouse)
    root.mkdir(parents=True, exist_ok=True)
    ctx = gx.get_context(mode="file", context_root_dir=str(root))
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    datasource = ctx.data_sources.add_or_update_sql(
        DATASOURCE,
        connection_string=gx_duckdb.url_for(str(warehouse)),
        kwargs={"connect_args": {"read_only": True}},
    )
    return GateContext(root=root, warehouse=warehouse, ctx=ctx, datasource=datasource)
