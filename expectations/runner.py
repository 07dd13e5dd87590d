"""Run the GX suites against the warehouse and say in words what each failure means.

``run_suite`` validates one suite through its checkpoint in the warehouse's persistent GX
context (results stored, Data Docs updated) and returns a ``SuiteResult``: which
expectations failed, at which severity (``error`` blocks publishing and the sync, ``warn``
is reported), with the expectation's one-line meaning, counts and examples.

Outcomes that are not a validation are named, never passed silently:
* ``nothing_new`` — a raw suite whose load batch has no rows (no new file this run);
* ``not_built`` — the table does not exist yet (a mart another issue builds); the caller
  decides whether that is an error (the model is in the project) or a warning;
* ``failed`` with a missing-column message when the table lacks a column the suite reads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from expectations import warehouse as wh
from expectations.context import (
    GateContext,
    default_context_root,
    docs_index,
    open_context,
    prune_history,
)
from expectations.suites import SEVERITY_NAMES, SuiteSpec, quote_table, suite_for

log = logging.getLogger(__name__)

# A share ("at most 5 % of rows ...") judged on a nightly batch of 12 rows is noise: one bad
# e-mail is 8 %. Below this many rows a failed share rule of a raw batch is a warning.
MIN_ROWS_FOR_SHARES = 100


@dataclass
class FailedExpectation:
    """One expectation that did not hold: what it means and what was observed."""

    expectation: str
    column: str | None
    severity: str  # "error" | "warn"
    meaning: str
    detail: str
    table: str = ""

    @property
    def message(self) -> str:
        target = f"({self.column})" if self.column else ""
        return f"{self.table}: {self.meaning} [{self.expectation}{target}: {self.detail}]"


@dataclass
class SuiteResult:
    """Outcome of one suite: ``status`` passed | warned | failed | nothing_new | not_built."""

    name: str
    table: str
    status: str
    evaluated: int = 0
    row_count: int = 0
    batch_id: str | None = None
    failed: list[FailedExpectation] = field(default_factory=list)
    note: str = ""
    docs: Path | None = None

    @property
    def success(self) -> bool:
        """No error-level failure (warnings and "nothing new" pass)."""
        return self.status in ("passed", "warned", "nothing_new")

    @property
    def errors(self) -> list[FailedExpectation]:
        return [f for f in self.failed if f.severity == "error"]

    @property
    def warnings(self) -> list[FailedExpectation]:
        return [f for f in self.failed if f.severity == "warn"]

    @property
    def messages(self) -> list[str]:
        return [f.message for f in self.failed]

    def summary(self) -> str:
        scope = f" in batch {self.batch_id}" if self.batch_id else ""
        if self.status == "passed":
            return (
                f"{self.name}: {self.evaluated} expectations passed on {self.row_count} rows{scope}"
            )
        if self.status in ("nothing_new", "not_built"):
            return self.note
        head = f"{self.name}: {len(self.errors)} error(s), {len(self.warnings)} warning(s)"
        return head + f" on {self.row_count} rows{scope}: " + "; ".join(self.messages)


def _describe(value: Any) -> str:
    text = "NULL" if value is None or value != value else str(value)  # NaN != NaN
    return text if len(text) <= 60 else text[:57] + "..."


def _detail(exp_type: str, kwargs: dict, result: dict) -> str:
    count = result.get("unexpected_count")
    if count is not None:
        n = result.get("element_count")
        pct = result.get("unexpected_percent")
        text = f"{count} of {n} rows" if n is not None else f"{count} rows"
        if pct is not None:
            text += f" ({pct:.1f}%"
            text += f", allowed {100 * (1 - kwargs['mostly']):.1f}%)" if "mostly" in kwargs else ")"
        counts = result.get("partial_unexpected_counts") or []
        if counts:
            text += ", e.g. " + ", ".join(
                f"{_describe(c['value'])} x{c['count']}" for c in counts[:5]
            )
        elif result.get("partial_unexpected_list"):
            text += ", e.g. " + ", ".join(
                _describe(v) for v in result["partial_unexpected_list"][:3]
            )
        return text
    observed = result.get("observed_value")
    if exp_type == "unexpected_rows_expectation":
        return f"{observed} offending rows"
    bounds = [
        f"{k.replace('_value', '')} {kwargs[k]}"
        for k in ("min_value", "max_value")
        if kwargs.get(k) is not None
    ]
    return f"observed {_describe(observed)}" + (f" (allowed {', '.join(bounds)})" if bounds else "")


def _examples(gate: GateContext, spec: SuiteSpec, query: str, batch_id: str | None) -> str:
    """Up to three offending rows of an unexpected-rows rule, for the message."""
    sql = query.replace("{batch}", _batch_sql(spec, batch_id)) + " LIMIT 3"
    try:
        with wh.connect(gate.warehouse) as con:
            cur = con.execute(sql)
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
    except Exception as exc:  # noqa: BLE001 - examples are a courtesy, never a failure
        return f"(examples unavailable: {exc})"
    return "; ".join(
        ", ".join(f"{n}={_describe(v)}" for n, v in zip(names, row, strict=True)) for row in rows
    )


def _value_counts(
    gate: GateContext, spec: SuiteSpec, column: str, kwargs: dict, batch_id: str | None
) -> str:
    """The commonest unexpected values of a set rule, counted over the whole batch."""
    values = list(kwargs.get("value_set") or [])
    batch = _batch_sql(spec, batch_id)
    col = '"' + column.replace('"', '""') + '"'
    negate = "NOT" if "not_be_in_set" not in kwargs.get("_type", "") else ""
    sql = (
        f"SELECT {col}, count(*) FROM {batch} WHERE {col} IS NOT NULL AND {negate} "
        f"list_contains(?, {col}) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5"
    )
    try:
        with wh.connect(gate.warehouse) as con:
            rows = con.execute(sql, [values]).fetchall()
    except Exception as exc:  # noqa: BLE001 - a courtesy, never a failure
        return f"(counts unavailable: {exc})"
    return ", ".join(f"{_describe(v)} x{n}" for v, n in rows)


def _batch_sql(spec: SuiteSpec, batch_id: str | None) -> str:
    batch = f"({spec.query()})"
    if batch_id is not None:
        escaped = batch_id.replace("'", "''")
        batch = f"(SELECT * FROM {batch} WHERE _batch_id = '{escaped}')"
    return batch


def _evaluation_error(info: Any) -> str | None:
    """The error message when GX could not evaluate an expectation (either shape GX uses:
    ``{"raised_exception": ..., "exception_message": ...}`` or one such dict per metric)."""
    if not info:
        return None
    entries = [info] if "raised_exception" in info else list(info.values())
    for entry in entries:
        if isinstance(entry, dict) and (
            entry.get("raised_exception") or entry.get("exception_traceback")
        ):
            message = entry.get("exception_message") or str(entry.get("exception_traceback"))
            return " ".join(str(message).split())[-300:]
    return None


def _newest_batch(con: Any, table: str) -> str | None:
    """The newest load batch that wrote rows into ``raw.<table>`` (per the manifest)."""
    name = table.split(".", 1)[1]
    row = con.execute(
        "SELECT arg_max(batch_id, loaded_at) FROM raw._manifest "
        "WHERE table_name = ? AND status = 'loaded' AND rows_loaded > 0",
        [name],
    ).fetchone()
    return row[0] if row else None


def run_suite(
    warehouse: Path,
    name: str,
    *,
    batch_id: str | None = None,
    context_root: Path | None = None,
    run_name: str | None = None,
    build_docs: bool = True,
) -> SuiteResult:
    """Validate suite ``name`` on ``warehouse``; raw suites on ``batch_id`` (default: the
    newest batch that loaded rows into the table). The result is stored in the GX context;
    ``build_docs`` also renders it into the Data Docs site."""
    spec = suite_for(name)
    warehouse = Path(warehouse)
    root = context_root or default_context_root(warehouse)
    if not warehouse.exists():
        return SuiteResult(
            name,
            spec.table,
            "failed",
            failed=[
                FailedExpectation(
                    "warehouse",
                    None,
                    "error",
                    f"warehouse file {warehouse} does not exist",
                    "run `revloop load` first",
                    spec.table,
                )
            ],
        )
    with wh.connect(warehouse) as con:
        columns = wh.table_columns(con, spec.table)
        if columns is None:
            built_by = f"; built by {spec.built_by}" if spec.built_by else ""
            return SuiteResult(
                name,
                spec.table,
                "not_built",
                note=f"{spec.table}: table not built yet{built_by} — its "
                f"{len(spec.expectations())} rule(s) did not run",
            )
        missing = [c for c in spec.requires if c not in columns]
        if missing:
            return SuiteResult(
                name,
                spec.table,
                "failed",
                failed=[
                    FailedExpectation(
                        "expect_column_to_exist",
                        c,
                        "error",
                        f"column {c} is missing, so the rules that read it cannot run",
                        f"table has {', '.join(columns[:12])}{'...' if len(columns) > 12 else ''}",
                        spec.table,
                    )
                    for c in missing
                ],
            )
        if spec.scope == "batch":
            if batch_id is None:
                batch_id = _newest_batch(con, spec.table)
            rows = con.execute(
                f"SELECT count(*) FROM {quote_table(spec.table)} WHERE _batch_id = ?", [batch_id]
            ).fetchone()[0]
            if not rows:
                return SuiteResult(
                    name,
                    spec.table,
                    "nothing_new",
                    batch_id=batch_id,
                    note=f"{name}: no rows loaded in batch {batch_id}: nothing new to validate",
                )
        else:
            rows = con.execute(f"SELECT count(*) FROM {quote_table(spec.table)}").fetchone()[0]

    gate = open_context(warehouse, root)
    prune_history(root, spec.name)
    try:
        checkpoint = gate.checkpoint_for(spec, build_docs=build_docs)
        run_id = None
        if run_name:
            from great_expectations.core.run_identifier import RunIdentifier

            run_id = RunIdentifier(run_name=run_name)
        params = {"_batch_id": batch_id} if spec.scope == "batch" else None
        outcome = checkpoint.run(batch_parameters=params, run_id=run_id)
        failed: list[FailedExpectation] = []
        evaluated = 0
        for validation in outcome.run_results.values():
            for res in validation.results:
                evaluated += 1
                if res.success:
                    continue
                cfg = res.expectation_config
                kwargs = dict(cfg.kwargs)
                severity = SEVERITY_NAMES.get(
                    str(getattr(cfg.severity, "value", cfg.severity)), "error"
                )
                meaning = cfg.description or cfg.type
                column = kwargs.get("column") or (
                    f"{kwargs['column_A']},{kwargs['column_B']}" if "column_A" in kwargs else None
                )
                problem = _evaluation_error(res.exception_info)
                if problem:
                    # a rule that did not run is never just a warning
                    detail = f"could not be evaluated: {problem}"
                    severity = "error"
                else:
                    detail = _detail(cfg.type, kwargs, dict(res.result))
                    if cfg.type in (
                        "expect_column_values_to_be_in_set",
                        "expect_column_values_to_not_be_in_set",
                    ):
                        counts = _value_counts(
                            gate,
                            spec,
                            kwargs["column"],
                            {**kwargs, "_type": cfg.type},
                            params and batch_id,
                        )
                        detail = detail.split(", e.g. ")[0] + (
                            f", most common: {counts}" if counts else ""
                        )
                    if cfg.type == "unexpected_rows_expectation":
                        detail += ", e.g. " + _examples(
                            gate, spec, kwargs["unexpected_rows_query"], params and batch_id
                        )
                if (
                    severity == "error"
                    and not problem
                    and spec.scope == "batch"
                    and kwargs.get("mostly") is not None
                    and rows < MIN_ROWS_FOR_SHARES
                ):
                    severity = "warn"
                    detail += (
                        f" (only {rows} rows in the batch, fewer than {MIN_ROWS_FOR_SHARES}: "
                        "a share of so few rows is reported, not blocking)"
                    )
                failed.append(
                    FailedExpectation(cfg.type, column, severity, meaning, detail, spec.table)
                )
    finally:
        gate.close()
    status = (
        "failed"
        if any(f.severity == "error" for f in failed)
        else ("warned" if failed else "passed")
    )
    result = SuiteResult(
        name,
        spec.table,
        status,
        evaluated=evaluated,
        row_count=int(rows),
        batch_id=batch_id if spec.scope == "batch" else None,
        failed=failed,
        docs=docs_index(root) if build_docs else None,
    )
    level = logging.INFO if result.status == "passed" else logging.WARNING
    log.log(level, "expectation suite %s", result.summary())
    return result


def run_suites(
    warehouse: Path,
    names: list[str],
    *,
    batch_ids: dict[str, str] | None = None,
    context_root: Path | None = None,
    run_name: str | None = None,
) -> list[SuiteResult]:
    """``run_suite`` for each name, in order (``batch_ids``: raw suite -> load batch)."""
    return [
        run_suite(
            warehouse,
            n,
            batch_id=(batch_ids or {}).get(n),
            context_root=context_root,
            run_name=run_name,
        )
        for n in names
    ]
