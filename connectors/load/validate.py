"""Set-based validation of ``_src`` against a contract, then the typed split raw | quarantine.

``check_rows``: one SQL statement types every column with ``TRY_CAST`` and collects, per
record, every field that breaks the contract (empty required value, unparseable value, value
not allowed), then a GROUP BY adds primary keys repeated in a file. ``write_rows``: a record
with no problem goes to raw, any other record goes to quarantine once, with all its fields
and reasons, so rows_in = loaded + quarantined.
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


def _typed(col: Column, nested_typed: bool) -> str:
    """SQL typing one ``_src`` column; NULL when the value does not parse.

    TRY_CAST already ignores surrounding blanks and reads '' as NULL for numbers, dates and
    timestamps, so only BOOLEAN and strptime formats need the trim (it costs ~1 s per 10M
    rows). Nested values the reader already typed are passed through, not copied.
    """
    v = ident(col.name)
    base = col.type.upper()
    if col.is_nested:
        return v if nested_typed else f"TRY_CAST({v} AS {col.type})"
    if base == "VARCHAR":
        return v
    if col.format:
        return f"TRY_CAST(try_strptime(NULLIF(trim({v}), ''), {lit(col.format)}) AS {col.type})"
    if base == "BOOLEAN":
        return f"TRY_CAST(NULLIF(trim({v}), '') AS {col.type})"
    return f"TRY_CAST({v} AS {col.type})"


def _problems(col: Column) -> list[tuple[str, str]]:
    """(condition, reason expression) pairs for one column, on the CTE ``d``."""
    v = f"d.{ident(col.name)}"
    typed = f"d.{ident('__typed__' + col.name)}"
    name = col.name
    out: list[tuple[str, str]] = []
    # JSON null arrives as SQL NULL; empty text counts as missing.
    # A printable ASCII first character settles it without trimming (10x cheaper on 10M rows);
    # anything else asks trim(), which also strips Unicode spaces.
    empty = (
        f"({v} IS NULL)"
        if col.is_nested
        else f"(CASE WHEN {v} IS NULL THEN true WHEN ord({v}) BETWEEN 33 AND 127 THEN false "
        f"ELSE trim({v}) = '' END)"
    )
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


def check_rows(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    late_rows: list[str] | None = None,
    nested_typed: bool = False,
) -> None:
    """Parse, type and check ``_src`` into the temp table ``_checked`` (and ``_first``).

    The files are parsed, typed and checked in one pass into the temp table ``_checked``
    (the only copy besides raw): records read by a multi-file scan get their position in
    their file from ``rowid`` there, since a scan keeps file order and, within a file, line
    order. A bad record carries its fields, reasons and the record as read; a good one only
    its typed values. ``nested_typed``: the reader already gave nested columns their contract
    type. Temp tables only, so it runs before the transaction that writes (``write_rows``)
    and that transaction stays short.
    """
    typed_cols = ", ".join(
        f"{_typed(c, nested_typed)} AS {ident('__typed__' + c.name)}" for c in contract.columns
    )
    conditions: list[tuple[str, str, str]] = []  # (condition, field, reason expr)
    for col in contract.columns:
        for cond, reason in _problems(col):
            conditions.append((cond, col.name, reason))
    # Duplicate keys are counted after the pass (a window here would reorder the records and
    # lose their positions); the key as read is kept for that.
    key_select = "NULL::VARCHAR[] AS __key"
    check_dups = bool(contract.primary_key) and contract.duplicate_rule == "quarantine_all"
    if check_dups:
        pk_not_null = " AND ".join(f"d.{ident(k)} IS NOT NULL" for k in contract.primary_key)
        key_list = ", ".join(f"d.{ident(k)}::VARCHAR" for k in contract.primary_key)
        key_select = (
            f"CASE WHEN d._pre_error IS NULL AND {pk_not_null} THEN [{key_list}] END AS __key"
        )
    fields = ", ".join(f"CASE WHEN {c} THEN {lit(f)} END" for c, f, _ in conditions) or "NULL"
    reasons = ", ".join(f"CASE WHEN {c} THEN {r} END" for c, _, r in conditions) or "NULL"
    # One cheap flag per row; the field/reason texts are built for flagged rows only.
    flag = " OR ".join(f"coalesce({c}, false)" for c, _, _ in conditions) or "false"
    # The offending record as JSON (unparseable records keep their original text in _rec).
    as_read = (
        "json_object("
        + ", ".join(f"{lit(c.name)}, d.{ident(c.name)}" for c in contract.columns)
        + ")"
    )
    record = (
        f"coalesce(d._rec, json_merge_patch({as_read}, coalesce(d._extra, '{{}}'::JSON))::VARCHAR)"
    )
    typed_out = ", ".join(
        f"d.{ident('__typed__' + c.name)} AS {ident(c.name)}" for c in contract.columns
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _checked AS
        WITH d AS (SELECT *, {typed_cols} FROM _src),
        f AS (SELECT d.*, (d._pre_error IS NOT NULL OR {flag}) AS __bad FROM d AS d)
        SELECT d._idx, d._file, d._n, d.__bad, {typed_out}, d._extra, {key_select},
               CASE WHEN d.__bad THEN coalesce(d._pre_field, concat_ws(', ', {fields}))
               END AS __field,
               CASE WHEN d.__bad THEN coalesce(d._pre_error, concat_ws('; ', {reasons}))
               END AS __reason,
               CASE WHEN d.__bad THEN {record} END AS __record
        FROM f AS d"""
    )
    if check_dups:
        _quarantine_duplicate_keys(con, contract)
    for select in late_rows or []:
        con.execute(
            f"""INSERT INTO _checked BY NAME
            SELECT _file, _n, true AS __bad, _pre_field AS __field, _pre_error AS __reason,
                   _rec AS __record
            FROM ({select})"""
        )
    # Position of each scanned record in its file: rowid minus the file's first rowid.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _first AS
        SELECT c._idx, f._file, min(c.rowid) AS _first
        FROM _checked c JOIN _files f ON f._idx = c._idx
        WHERE c._n IS NULL GROUP BY ALL"""
    )


def write_rows(
    con: duckdb.DuckDBPyConnection, contract: Contract, batch_id: str, loaded_at: object
) -> dict[str, tuple[int, int, int]]:
    """Insert ``_checked`` into raw/quarantine; return per file (rows_in, loaded, quarantined).

    Runs inside the caller's transaction.
    """
    numbered = """FROM _checked c LEFT JOIN _first o ON o._idx = c._idx"""
    file_expr = "coalesce(c._file, o._file)"
    n_expr = "coalesce(c._n, c.rowid - o._first + 1)"
    target_cols = ", ".join(ident(c.name) for c in contract.columns)
    values = ", ".join(f"c.{ident(c.name)}" for c in contract.columns)
    # Every record now carries its position, so raw need not keep scan order (~10% faster).
    con.execute("SET preserve_insertion_order = false")
    try:
        con.execute(
            f"""INSERT INTO raw.{contract.table} ({target_cols}, _extra, _source_file,
                                                 _row_number, _loaded_at, _batch_id)
            SELECT {values}, c._extra, {file_expr}, {n_expr}, ?, ?
            {numbered} WHERE NOT c.__bad""",
            [loaded_at, batch_id],
        )
    finally:
        con.execute("SET preserve_insertion_order = true")
    con.execute(
        f"""INSERT INTO quarantine.{contract.table}
        SELECT {file_expr} AS _file, {n_expr} AS _n, c.__field, c.__reason, c.__record, ?, ?
        {numbered} WHERE c.__bad
        ORDER BY _file, _n""",
        [loaded_at, batch_id],
    )
    counts = con.execute(
        f"""SELECT {file_expr}, count(*), count(*) FILTER (WHERE c.__bad)
        {numbered} GROUP BY 1"""
    ).fetchall()
    return {f: (n, n - bad, bad) for f, n, bad in counts}


def _quarantine_duplicate_keys(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Flag every record whose primary key appears more than once in its file.

    A duplicate that is otherwise valid has no as-read copy in ``_checked``; its record is
    rebuilt from the typed values.
    """
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _dups AS
        SELECT _idx, _file, __key, count(*) AS __dup FROM _checked
        WHERE __key IS NOT NULL GROUP BY ALL HAVING count(*) > 1"""
    )
    if not con.execute("SELECT count(*) FROM _dups").fetchone()[0]:
        return
    pk = "/".join(contract.primary_key)
    typed_record = (
        "json_object("
        + ", ".join(f"{lit(c.name)}, c.{ident(c.name)}" for c in contract.columns)
        + ")"
    )
    con.execute(
        f"""UPDATE _checked AS c SET
            __bad = true,
            __field = concat_ws(', ', c.__field, {lit(pk)}),
            __reason = concat_ws('; ', c.__reason, {lit(pk + ": duplicate key ")}
                || array_to_string(c.__key, '/') || ' appears ' || d.__dup
                || ' times in this file'),
            __record = coalesce(c.__record, json_merge_patch({typed_record},
                coalesce(c._extra, '{{}}'::JSON))::VARCHAR)
        FROM _dups AS d
        WHERE d.__key = c.__key AND d._idx IS NOT DISTINCT FROM c._idx
          AND d._file IS NOT DISTINCT FROM c._file"""
    )


def extra_keys_by_file(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Unknown fields found in ``_checked`` per file (after ``check_rows``)."""
    rows = con.execute(
        """SELECT coalesce(c._file, o._file), list(DISTINCT k ORDER BY k)
        FROM (SELECT _idx, _file, unnest(json_keys(_extra)) AS k FROM _checked
              WHERE _extra IS NOT NULL) c
        LEFT JOIN _first o ON o._idx = c._idx
        GROUP BY 1"""
    ).fetchall()
    return {f: keys for f, keys in rows if f is not None}
