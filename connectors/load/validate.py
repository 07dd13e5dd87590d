"""Set-based validation of ``_src`` against a contract, then the typed split raw | quarantine.

One SQL statement types every column with ``TRY_CAST`` and collects, per record, every field
that breaks the contract (empty required value, unparseable value, value not allowed,
primary key repeated in the file). A record with no problem goes to raw, any other record
goes to quarantine once, with all its fields and reasons, so rows_in = loaded + quarantined.
"""

from __future__ import annotations

import duckdb

from connectors.contracts import Column, Contract
from connectors.load.sql import ident, lit

META_COLUMNS = (
    "_extra JSON, _source_file VARCHAR, _row_number BIGINT, "
    "_loaded_at TIMESTAMPTZ, _batch_id VARCHAR"
)


def raw_table_ddl(contract: Contract) -> str:
    cols = ", ".join(f"{ident(c.name)} {c.type}" for c in contract.columns)
    return f"CREATE TABLE IF NOT EXISTS raw.{contract.table} ({cols}, {META_COLUMNS})"


def quarantine_table_ddl(contract: Contract) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS quarantine.{contract.table} ("
        "_source_file VARCHAR, _row_number BIGINT, field VARCHAR, reason VARCHAR, "
        "raw_record VARCHAR, _loaded_at TIMESTAMPTZ, _batch_id VARCHAR)"
    )


def ensure_tables(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Create raw and quarantine tables so dbt sources exist even before the first file."""
    con.execute(raw_table_ddl(contract))
    con.execute(quarantine_table_ddl(contract))


def _typed(col: Column) -> str:
    v = ident(col.name)
    base = col.type.upper()
    if col.is_nested:
        return f"TRY_CAST({v} AS {col.type})"
    if base == "VARCHAR":
        return v
    if col.format:
        return f"TRY_CAST(try_strptime(NULLIF(trim({v}), ''), {lit(col.format)}) AS {col.type})"
    return f"TRY_CAST(NULLIF(trim({v}), '') AS {col.type})"


def _problems(col: Column) -> list[tuple[str, str]]:
    """(condition, reason expression) pairs for one column, on the CTE ``d``."""
    v = f"d.{ident(col.name)}"
    typed = f"d.{ident('__typed__' + col.name)}"
    name = col.name
    out: list[tuple[str, str]] = []
    # JSON null arrives as SQL NULL; empty text counts as missing.
    empty = f"({v} IS NULL)" if col.is_nested else f"({v} IS NULL OR trim({v}) = '')"
    if col.required:
        out.append((empty, lit(f"{name}: required value is empty")))
    if col.type.upper() != "VARCHAR":
        shown = f"left({v}::VARCHAR, 80)"
        out.append(
            (
                f"(NOT {empty} AND {typed} IS NULL)",
                f"{lit(name + ': cannot parse ')} || {shown} || {lit(' as ' + col.type)}",
            )
        )
    if col.allowed_values:
        allowed = ", ".join(lit(a) for a in col.allowed_values)
        out.append(
            (
                f"({typed} IS NOT NULL AND {typed}::VARCHAR NOT IN ({allowed}))",
                f"{lit(name + ': ')} || {typed}::VARCHAR || "
                f"{lit(' is not an allowed value ' + str(list(col.allowed_values)))}",
            )
        )
    return out


def split_rows(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    batch_id: str,
    loaded_at: object,
) -> dict[str, tuple[int, int, int]]:
    """Insert ``_src`` into raw/quarantine; return per file (rows_in, loaded, quarantined).

    Runs inside the caller's transaction.
    """
    typed_cols = ", ".join(
        f"{_typed(c)} AS {ident('__typed__' + c.name)}" for c in contract.columns
    )
    conditions: list[tuple[str, str, str]] = []  # (condition, field, reason expr)
    for col in contract.columns:
        for cond, reason in _problems(col):
            conditions.append((cond, col.name, reason))
    dup_select = "0 AS __dup"
    if contract.primary_key and contract.duplicate_rule == "quarantine_all":
        pk = ", ".join(f"t.{ident(k)}" for k in contract.primary_key)
        pk_not_null = " AND ".join(f"t.{ident(k)} IS NOT NULL" for k in contract.primary_key)
        dup_select = (
            f"CASE WHEN t._pre_error IS NULL AND {pk_not_null} "
            f"THEN count(*) OVER (PARTITION BY t._file, t._pre_error IS NULL, {pk}) "
            "ELSE 0 END AS __dup"
        )
        key_text = " || '/' || ".join(f"coalesce(d.{ident(k)}, '')" for k in contract.primary_key)
        conditions.append(
            (
                "(d.__dup > 1)",
                "/".join(contract.primary_key),
                f"{lit('/'.join(contract.primary_key) + ': duplicate key ')} || {key_text} || "
                "' appears ' || d.__dup || ' times in this file'",
            )
        )
    fields = ", ".join(f"CASE WHEN {c} THEN {lit(f)} END" for c, f, _ in conditions) or "NULL"
    reasons = ", ".join(f"CASE WHEN {c} THEN {r} END" for c, _, r in conditions) or "NULL"
    # One cheap flag per row; the field/reason texts are built for flagged rows only.
    flag = " OR ".join(f"coalesce({c}, false)" for c, _, _ in conditions) or "false"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _checked AS
        WITH t AS (SELECT *, {typed_cols} FROM _src),
        d AS (SELECT t.*, {dup_select} FROM t)
        SELECT d.*, (d._pre_error IS NOT NULL OR {flag}) AS __bad
        FROM d"""
    )
    target_cols = ", ".join(ident(c.name) for c in contract.columns)
    typed_out = ", ".join(ident("__typed__" + c.name) for c in contract.columns)
    con.execute(
        f"""INSERT INTO raw.{contract.table} ({target_cols}, _extra, _source_file, _row_number,
                                             _loaded_at, _batch_id)
        SELECT {typed_out}, _extra, _file, _n, ?, ? FROM _checked WHERE NOT __bad""",
        [loaded_at, batch_id],
    )
    # The offending record as JSON, rebuilt only for quarantined rows (unparseable records
    # keep their original text in _rec).
    as_read = (
        "json_object("
        + ", ".join(f"{lit(c.name)}, {ident(c.name)}" for c in contract.columns)
        + ")"
    )
    record = f"coalesce(_rec, json_merge_patch({as_read}, coalesce(_extra, '{{}}'::JSON))::VARCHAR)"
    con.execute(
        f"""INSERT INTO quarantine.{contract.table}
        SELECT _file, _n, coalesce(_pre_field, concat_ws(', ', {fields})),
               coalesce(_pre_error, concat_ws('; ', {reasons})), {record}, ?, ?
        FROM _checked AS d WHERE __bad
        ORDER BY _file, _n""",
        [loaded_at, batch_id],
    )
    rows_in = dict(con.execute("SELECT _file, count(*) FROM _checked GROUP BY _file").fetchall())
    quarantined = dict(
        con.execute(
            f"SELECT _source_file, count(*) FROM quarantine.{contract.table} "
            "WHERE _batch_id = ? GROUP BY 1",
            [batch_id],
        ).fetchall()
    )
    return {f: (n, n - quarantined.get(f, 0), quarantined.get(f, 0)) for f, n in rows_in.items()}
