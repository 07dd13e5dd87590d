"""Run the Great Expectations suites on DuckDB tables and explain every failure in words.

GX 1.x runs here in an ephemeral context with a pandas datasource: each suite reads only the
columns it mentions from a read-only DuckDB connection, so the gate never competes with a
writer for the file lock and leaves no GX project folder behind. A suite whose table does
not exist is a failure (a missing mart is a broken build), never a silent skip.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from expectations.suites import SUITES, SuiteSpec, suite_for

log = logging.getLogger(__name__)
# GX announces every ephemeral context at INFO; that is noise in a nightly summary.
logging.getLogger("great_expectations").setLevel(logging.WARNING)

# Payload key columns when the caller does not name them: the CRM external id / record id.
_KEY_COLUMN = re.compile(r"(^id$|_id$|id__c$|^email$)", re.IGNORECASE)


@dataclass
class FailedExpectation:
    """One expectation that did not hold, with a message a human can act on."""

    expectation: str
    column: str | None
    message: str


@dataclass
class SuiteResult:
    """Outcome of one suite on one table."""

    name: str
    table: str
    success: bool
    evaluated: int = 0
    row_count: int = 0
    failed: list[FailedExpectation] = field(default_factory=list)

    @property
    def messages(self) -> list[str]:
        return [f.message for f in self.failed]

    def summary(self) -> str:
        if self.success:
            return f"{self.name}: {self.evaluated} expectations passed on {self.row_count} rows"
        return "; ".join(self.messages)


def _quote_table(table: str) -> str:
    return ".".join(f'"{part}"' for part in table.split("."))


def _table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str] | None:
    schema, _, name = table.rpartition(".")
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema or "main", name],
    ).fetchall()
    return [r[0] for r in rows] or None


def _describe(value: Any) -> str:
    text = "NULL" if value is None or value != value else str(value)  # noqa: PLR0124 (NaN)
    return text if len(text) <= 60 else text[:57] + "..."


def _failure_message(table: str, exp_type: str, kwargs: dict, result: dict) -> str:
    cols = kwargs.get("column") or ",".join(kwargs.get("column_list") or [])
    head = f"{table}: {exp_type}({cols}) failed"
    count = result.get("unexpected_count")
    examples = result.get("partial_unexpected_list") or []
    if exp_type == "expect_column_values_to_be_unique":
        counts = result.get("partial_unexpected_counts") or []
        dup_values = [c["value"] for c in counts] or examples
        detail = f"{count} rows with duplicated values"
        if dup_values:
            detail += ", e.g. " + ", ".join(_describe(v) for v in dup_values[:3])
    elif exp_type == "expect_compound_columns_to_be_unique":
        detail = f"{count} rows with duplicated ({cols})"
        if examples:
            detail += ", e.g. " + _describe(examples[0])
    elif exp_type == "expect_column_values_to_not_be_null":
        detail = f"{count} null values of {result.get('element_count')} rows"
    elif count is not None:
        pct = result.get("unexpected_percent")
        detail = f"{count} unexpected values"
        if pct is not None:
            detail += f" ({pct:.1f}%"
            detail += (
                f", allowed {100 * (1 - kwargs['mostly']):.1f}%)" if "mostly" in kwargs else ")"
            )
        if examples:
            detail += ", e.g. " + ", ".join(_describe(v) for v in examples[:3])
    elif exp_type == "expect_column_to_exist":
        detail = "column is missing"
    else:
        detail = "observed " + _describe(result.get("observed_value"))
    return f"{head}: {detail}"


def _gx_context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return ctx


def _run_one(
    con: duckdb.DuckDBPyConnection, spec: SuiteSpec, ctx: Any, datasource: Any
) -> SuiteResult:
    import great_expectations as gx

    columns = _table_columns(con, spec.table)
    if columns is None:
        msg = (
            f"{spec.table}: table does not exist in the warehouse; run the loaders/dbt build "
            "that create it before the quality gate"
        )
        return SuiteResult(
            spec.name, spec.table, False, failed=[FailedExpectation("table", None, msg)]
        )

    wanted = spec.columns()
    missing = [c for c in wanted if c not in columns]
    failed = [
        FailedExpectation(
            "expect_column_to_exist",
            c,
            f"{spec.table}: expect_column_to_exist({c}) failed: column is missing "
            f"(table has {', '.join(columns[:12])}{'...' if len(columns) > 12 else ''})",
        )
        for c in missing
    ]
    present = [c for c in wanted if c in columns]
    select = ", ".join(f'"{c}"' for c in present) or "1 as _row"
    df = con.execute(f"select {select} from {_quote_table(spec.table)}").df()

    suite = gx.ExpectationSuite(name=spec.name)
    for exp in spec.expectations():
        exp_cols = [getattr(exp, "column", None), *(getattr(exp, "column_list", None) or [])]
        if any(c in missing for c in exp_cols if c):
            continue  # already reported as a missing column
        suite.add_expectation(exp)

    evaluated = len(missing)
    if suite.expectations:
        asset = datasource.add_dataframe_asset(name=spec.name)
        batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
            batch_parameters={"dataframe": df}
        )
        validation = batch.validate(suite, result_format="SUMMARY")
        for res in validation.results:
            evaluated += 1
            cfg = res.expectation_config
            kwargs = dict(cfg.kwargs)
            if res.success:
                continue
            if res.exception_info and res.exception_info.get("raised_exception"):
                message = (
                    f"{spec.table}: {cfg.type}({kwargs.get('column', '')}) could not be evaluated: "
                    f"{res.exception_info.get('exception_message')}"
                )
            else:
                message = _failure_message(spec.table, cfg.type, kwargs, dict(res.result))
            failed.append(FailedExpectation(cfg.type, kwargs.get("column"), message))
    return SuiteResult(
        spec.name, spec.table, not failed, evaluated=evaluated, row_count=len(df), failed=failed
    )


def default_suite_names(warehouse: Path) -> list[str]:
    """All static suites plus one payload suite per ``reverse_etl.sync_*`` table present."""
    names = list(SUITES)
    if Path(warehouse).exists():
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'reverse_etl' and table_name like 'sync\\_%' escape '\\' "
                "order by table_name"
            ).fetchall()
        names += [f"reverse_etl.{r[0]}" for r in rows]
    return names


def run_suites(
    warehouse: Path,
    suites: list[str] | None = None,
    payload_keys: dict[str, list[str]] | None = None,
) -> list[SuiteResult]:
    """Validate ``suites`` (default: all) against the DuckDB file ``warehouse``.

    ``payload_keys`` optionally names the key columns of ``reverse_etl.*`` payload tables;
    without it the first id-like column (``Id``, ``*_id``, ``*Id__c``, ``email``) is the key.
    Returns one result per suite, in order; never raises for bad data, only for an unknown
    suite name or an unreadable file.
    """
    warehouse = Path(warehouse)
    names = list(suites) if suites is not None else default_suite_names(warehouse)
    if not warehouse.exists():
        msg = f"warehouse file {warehouse} does not exist; run `revloop load` first"
        return [
            SuiteResult(n, n, False, failed=[FailedExpectation("table", None, msg)]) for n in names
        ]
    ctx = _gx_context()
    datasource = ctx.data_sources.add_pandas("revloop_warehouse")
    results: list[SuiteResult] = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for name in names:
            keys = (payload_keys or {}).get(name)
            if name.startswith("reverse_etl.") and name not in SUITES and not keys:
                cols = _table_columns(con, name) or []
                keys = [c for c in cols if _KEY_COLUMN.search(c)][:1]
            spec = suite_for(name, keys)
            result = _run_one(con, spec, ctx, datasource)
            level = logging.INFO if result.success else logging.WARNING
            log.log(level, "expectation suite %s", result.summary())
            results.append(result)
    return results
