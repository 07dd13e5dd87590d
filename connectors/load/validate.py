"""Set-based validation of ``_src`` against a contract, then the typed split raw | quarantine.

``check_rows``: one SQL statement types every column with ``TRY_CAST`` and collects, per
record, every field that breaks the contract (empty non-nullable value, unparseable value,
value not allowed), then a GROUP BY adds primary keys repeated in a file. For JSON sources the
same pass counts, per record, the keys the contract accounts for (``__nkeys``: declared
columns and their nested keys, kept extras, ignored fields) and which columns carry a value
(``__present``), so drift and missing columns are judged on every record, not a sample.
``write_rows``: a record with no problem goes to raw, any other record goes to quarantine
once, with all its fields and reasons, so rows_in = loaded + quarantined.
"""

from __future__ import annotations

import json

import duckdb

from connectors.contracts import Column, Contract
from connectors.load.sql import ident, lit

META_COLUMNS = (
    "_extra JSON, _source_file VARCHAR, _row_number BIGINT, "
    "_loaded_at TIMESTAMPTZ, _batch_id VARCHAR, _superseded_at TIMESTAMPTZ"
)
MAX_PRESENCE_COLUMNS = 62  # __present is a BIGINT bitmask


def raw_table_ddl(contract: Contract) -> str:
    cols = ", ".join(f"{ident(c.name)} {c.type}" for c in contract.columns)
    return f"CREATE TABLE IF NOT EXISTS raw.{contract.table} ({cols}, {META_COLUMNS})"


def quarantine_table_ddl(contract: Contract) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS quarantine.{contract.table} ("
        "_source_file VARCHAR, _row_number BIGINT, field VARCHAR, reason VARCHAR, "
        "raw_record VARCHAR, _loaded_at TIMESTAMPTZ, _batch_id VARCHAR, "
        "_superseded_at TIMESTAMPTZ)"
    )


def existing_columns(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], set[str]]:
    """(schema, table) → its columns, for raw and quarantine, in one query."""
    out: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE table_schema IN ('raw', 'quarantine')"
    ).fetchall():
        out.setdefault((schema, table), set()).add(column)
    return out


def ensure_tables(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    existing: dict[tuple[str, str], set[str]] | None = None,
) -> None:
    """Create raw and quarantine tables so dbt sources exist even before the first file;
    add columns that came later (``_superseded_at``, contract columns added since)."""
    existing = existing_columns(con) if existing is None else existing
    raw = existing.get(("raw", contract.table))
    if raw is None:
        con.execute(raw_table_ddl(contract))
    else:
        for col in contract.columns:
            if col.name not in raw:
                con.execute(
                    f"ALTER TABLE raw.{contract.table} ADD COLUMN {ident(col.name)} {col.type}"
                )
        if "_superseded_at" not in raw:
            con.execute(f"ALTER TABLE raw.{contract.table} ADD COLUMN _superseded_at TIMESTAMPTZ")
    quarantine = existing.get(("quarantine", contract.table))
    if quarantine is None:
        con.execute(quarantine_table_ddl(contract))
    elif "_superseded_at" not in quarantine:
        con.execute(
            f"ALTER TABLE quarantine.{contract.table} ADD COLUMN _superseded_at TIMESTAMPTZ"
        )


def text_keys_sql(text: str) -> str:
    """SQL: the number of keys with a non-null value in a JSON text (any depth).

    A key ends in ``":`` and a string value cannot contain an unescaped quote, so counting
    ``":`` counts keys exactly; ``":null`` and ``": null`` are the null ones. A text with an
    escaped quote gives -1 so it never matches a count and goes to the exact check instead.
    """
    s = text
    escaped, key, null1, null2 = "'\\\"'", "'\":'", "'\":null'", "'\": null'"
    return (
        f"(CASE WHEN {s} IS NULL THEN 0 WHEN contains({s}, {escaped}) THEN -1 ELSE "
        f"(length({s}) - length(replace({s}, {key}, ''))) // 2 "
        f"- (length({s}) - length(replace({s}, {null1}, ''))) // 6 "
        f"- (length({s}) - length(replace({s}, {null2}, ''))) // 7 END)"
    )


def nested_keys_sql(expr: str, kind: duckdb.typing.DuckDBPyType, depth: int = 0) -> str:
    """SQL: the keys with a value inside a typed nested value (not counting its own key)."""
    kid = kind.id
    if kid == "struct":
        parts = []
        for name, child in kind.children:
            sub = f"struct_extract({expr}, {lit(name)})"
            parts.append(f"({sub} IS NOT NULL)::INT")
            inner = nested_keys_sql(sub, child, depth + 1)
            if inner != "0":
                parts.append(inner)
        return "(" + " + ".join(parts) + ")" if parts else "0"
    if kid == "list":
        var = f"x{depth}"
        inner = nested_keys_sql(var, kind.child, depth + 1)
        if inner == "0":
            return "0"
        return f"coalesce(list_sum(list_transform({expr}, lambda {var}: {inner})), 0)"
    if kid == "map":
        return f"coalesce(cardinality({expr}), 0)"
    if str(kind).upper() == "JSON":
        return text_keys_sql(f"{expr}::VARCHAR")
    return "0"


def key_count_sql(con: duckdb.DuckDBPyConnection, contract: Contract) -> str:
    """SQL over the check's CTE ``d``: keys a record has that the contract accounts for.

    A column's own key counts when its value as read is not null; the keys inside a nested
    value are counted on the typed value (what the contract can read); ignored fields
    (``__ikeys``) and kept extras (``_extra``) count too.
    """
    parts = []
    for col in contract.columns:
        parts.append(f"(d.{ident(col.name)} IS NOT NULL)::INT")
        if col.is_nested:
            kind = con.sql(f"SELECT NULL::{col.type} AS v").types[0]
            inner = nested_keys_sql(f"d.{ident('__typed__' + col.name)}", kind)
            if inner != "0":
                parts.append(inner)
    parts.append("coalesce(d.__ikeys, 0)")
    parts.append(text_keys_sql("d._extra::VARCHAR"))
    return " + ".join(parts)


def presence_sql(contract: Contract) -> str:
    """SQL: a bitmask of the contract columns that carry a value in a record (as read)."""
    if len(contract.columns) > MAX_PRESENCE_COLUMNS:
        return "0::BIGINT"
    return " | ".join(
        f"(CASE WHEN d.{ident(c.name)} IS NOT NULL THEN {1 << i} ELSE 0 END)::BIGINT"
        for i, c in enumerate(contract.columns)
    )


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
    if not col.nullable:
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
    json_columns: set[str] | frozenset[str] = frozenset(),
    per_record_keys: bool = False,
) -> None:
    """Parse, type and check ``_src`` into the temp table ``_checked`` (and ``_first``).

    The files are parsed, typed and checked in one pass into the temp table ``_checked``
    (the only copy besides raw): records read by a multi-file scan get their position in
    their file from ``rowid`` there, since a scan keeps file order and, within a file, line
    order. A bad record carries its fields, reasons and the record as read; a good one only
    its typed values. ``nested_typed``: the reader already gave nested columns their contract
    type, except ``json_columns`` (read as JSON text, to be kept whole in ``_extra``).
    ``per_record_keys``: count each record's keys and note which columns it carries (records
    whose own text is at hand, ``__tkeys``); otherwise ``file_stats`` works both out per file
    with cheap aggregates. Temp tables only, so it runs before the transaction that writes
    (``write_rows``) and that transaction stays short.
    """
    typed_cols = ", ".join(
        f"{_typed(c, nested_typed and c.name not in json_columns)} AS {ident('__typed__' + c.name)}"
        for c in contract.columns
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
    if not per_record_keys:
        keys_out = "NULL::BIGINT AS __nkeys, NULL::BIGINT AS __present, NULL::BIGINT AS __tkeys"
    else:
        # Keys are counted on typed values (what the contract knows how to read), presence on
        # values as read; records that could not be parsed count nothing.
        counted = key_count_sql(con, contract)
        keys_out = (
            f"CASE WHEN d._pre_error IS NULL THEN {counted} END::BIGINT AS __nkeys, "
            f"CASE WHEN d._pre_error IS NULL THEN {presence_sql(contract)} END AS __present, "
            "d.__tkeys::BIGINT AS __tkeys"
        )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _checked AS
        WITH d AS (SELECT *, {typed_cols} FROM _src),
        f AS (SELECT d.*, (d._pre_error IS NOT NULL OR {flag}) AS __bad FROM d AS d)
        SELECT d._idx, d._file, d._n, d.__bad, {typed_out}, d._extra, {key_select}, {keys_out},
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
    # Lines the CSV reader rejected are not in its scan, so the good records after one would
    # take its number: the k-th good record is record k + (rejects before it). With rejects at
    # records r_1 < r_2 < ..., record k comes after reject j iff k > r_j - j, so for each file
    # the rejects are kept as (g_j = r_j - j, j) and an ASOF join finds the last g below k.
    con.execute("DROP TABLE IF EXISTS _rejpos")
    if (
        late_rows
        and con.execute(
            "SELECT count(*) FROM _checked WHERE _idx IS NULL AND _n IS NOT NULL"
        ).fetchone()[0]
    ):
        con.execute(
            """CREATE TEMP TABLE _rejpos AS
            WITH r AS (SELECT _file, _n, row_number() OVER (PARTITION BY _file ORDER BY _n) AS j
                       FROM (SELECT DISTINCT _file, _n FROM _checked
                             WHERE _idx IS NULL AND _n IS NOT NULL))
            SELECT _file, _n - j AS g, max(j) AS k FROM r GROUP BY ALL"""
        )


def _numbering(con: duckdb.DuckDBPyConnection) -> tuple[str, str, str]:
    """(FROM clause over ``_checked c``, file expression, record number expression)."""
    rejects = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = '_rejpos'"
    ).fetchone()[0]
    if not rejects:
        return (
            "FROM _checked c LEFT JOIN _first o ON o._idx = c._idx",
            "coalesce(c._file, o._file)",
            "coalesce(c._n, c.rowid - o._first + 1)",
        )
    return (
        """FROM (SELECT c.*, o._file AS __ofile, c.rowid - o._first + 1 AS __scan
                 FROM _checked c LEFT JOIN _first o ON o._idx = c._idx) c
           ASOF LEFT JOIN _rejpos p ON p._file = c.__ofile AND c.__scan > p.g""",
        "coalesce(c._file, c.__ofile)",
        "coalesce(c._n, c.__scan + coalesce(p.k, 0))",
    )


def _count_sql(value: str, kind: duckdb.typing.DuckDBPyType, depth: int = 0) -> list[str]:
    """Aggregates over ``_checked c`` counting the non-null values of a typed column and of
    every key inside it (``count`` reads only validity masks; a list of records needs one
    lambda per row)."""
    parts = [f"count({value})"]
    if kind.id == "struct":
        for name, child in kind.children:
            parts += _count_sql(f"struct_extract({value}, {lit(name)})", child, depth + 1)
    elif kind.id == "list":
        inner = nested_keys_sql(f"x{depth}", kind.child, depth + 1)
        if inner != "0":
            parts.append(
                f"sum(coalesce(list_sum(list_transform({value}, lambda x{depth}: {inner})), 0))"
            )
    elif str(kind).upper() == "JSON":
        parts.append(f"sum({text_keys_sql(value + '::VARCHAR')})")
    return parts


def file_key_total_sql(con: duckdb.DuckDBPyConnection, contract: Contract) -> str:
    """One aggregate over a file's ``_checked`` rows: the keys its records carry that the
    contract accounts for. Good rows are counted on their typed values; a quarantined row,
    whose typed values may have lost an unparseable one, on its record as read."""
    parts: list[str] = []
    row_typed: list[str] = []
    for col in contract.columns:
        value = f"c.{ident(col.name)}"
        kind = con.sql(f"SELECT NULL::{col.type} AS v").types[0]
        parts += _count_sql(value, kind)
        row_typed.append(f"({value} IS NOT NULL)::INT")
        if col.is_nested:
            inner = nested_keys_sql(value, kind)
            if inner != "0":
                row_typed.append(inner)
    parts.append(f"sum({text_keys_sql('c._extra::VARCHAR')})")
    # a quarantined row: its record as read instead of its typed values
    parts.append(
        f"sum(CASE WHEN c.__bad THEN {text_keys_sql('c.__record')} - ({' + '.join(row_typed)}) "
        f"- {text_keys_sql('c._extra::VARCHAR')} END)"
    )
    return " + ".join(f"coalesce({p}, 0)" for p in parts)


def file_stats(
    con: duckdb.DuckDBPyConnection, contract: Contract | None = None, mode: str = "record"
) -> dict[str, dict]:
    """Per file of ``_checked``: rows, quarantined rows, columns seen with a value (bitmask),
    keys the contract accounts for, and records whose own text count disagrees.

    ``mode``: ``record`` (per-record counts are in ``_checked``), ``file`` (count a file's
    keys and columns with aggregates) or ``none`` (columns only)."""
    numbered, file_expr, _ = _numbering(con)
    extra = []
    names = []
    if contract is not None and mode in ("file", "none") and contract.format != "csv":
        for i, col in enumerate(contract.columns):
            v = f"c.{ident(col.name)}"
            from_bad = f"c.__record->>{lit('$.' + json.dumps(col.name))}"
            seen = f"count({v}) + count(CASE WHEN c.__bad THEN {from_bad} END)"
            extra.append(f"((({seen}) > 0)::BIGINT << {i})")
        names.append("present")
        if mode == "file":
            names.append("keys")
    select = "bit_or(c.__present), sum(c.__nkeys)"
    if names:
        present = " | ".join(extra) if extra else "0"
        keys = file_key_total_sql(con, contract) if mode == "file" else "NULL"
        select = f"{present}, {keys}"
    got = con.execute(
        f"""SELECT {file_expr} AS f, count(*), count(*) FILTER (WHERE c.__bad), {select},
                   count(*) FILTER (WHERE c.__tkeys IS NOT NULL AND c.__nkeys IS NOT NULL
                                    AND c.__tkeys <> c.__nkeys)
            {numbered} GROUP BY 1"""
    ).fetchall()
    return {
        f: {"rows": n, "bad": bad, "present": present or 0, "keys": keys, "odd_records": odd}
        for f, n, bad, present, keys, odd in got
        if f is not None
    }


def top_reasons(con: duckdb.DuckDBPyConnection, file: str, k: int = 3) -> list[tuple]:
    """The ``k`` most common quarantine fields of a file: (fields, rows, example row number,
    example reason, example record)."""
    numbered, file_expr, n_expr = _numbering(con)
    return con.execute(
        f"""SELECT __field, count(*), min(n), arg_min(__reason, n), arg_min(__record, n)
            FROM (SELECT c.__field, c.__reason, c.__record, {n_expr} AS n
                  {numbered} WHERE c.__bad AND {file_expr} = ?)
            GROUP BY 1 ORDER BY 2 DESC, 3 LIMIT {int(k)}""",
        [file],
    ).fetchall()


def write_rows(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    batch_id: str,
    loaded_at: object,
    exclude: set[str] | frozenset[str] = frozenset(),
) -> dict[str, tuple[int, int, int]]:
    """Insert ``_checked`` into raw/quarantine; return per file (rows_in, loaded, quarantined).

    ``exclude``: files that failed as a whole after the check (nothing of them is written).
    Runs inside the caller's transaction.
    """
    numbered, file_expr, n_expr = _numbering(con)
    keep = "true"
    if exclude:
        keep = f"{file_expr} NOT IN ({', '.join(lit(f) for f in sorted(exclude))})"
    target_cols = ", ".join(ident(c.name) for c in contract.columns)
    values = ", ".join(f"c.{ident(c.name)}" for c in contract.columns)
    # Every record now carries its position, so raw need not keep scan order (~10% faster).
    con.execute("SET preserve_insertion_order = false")
    try:
        con.execute(
            f"""INSERT INTO raw.{contract.table} ({target_cols}, _extra, _source_file,
                                                 _row_number, _loaded_at, _batch_id)
            SELECT {values}, c._extra, {file_expr}, {n_expr}, ?, ?
            {numbered} WHERE NOT c.__bad AND {keep}""",
            [loaded_at, batch_id],
        )
    finally:
        con.execute("SET preserve_insertion_order = true")
    con.execute(
        f"""INSERT INTO quarantine.{contract.table} (_source_file, _row_number, field, reason,
                                                    raw_record, _loaded_at, _batch_id)
        SELECT {file_expr} AS _file, {n_expr} AS _n, c.__field, c.__reason, c.__record, ?, ?
        {numbered} WHERE c.__bad AND {keep}
        ORDER BY _file, _n""",
        [loaded_at, batch_id],
    )
    counts = con.execute(
        f"""SELECT {file_expr}, count(*), count(*) FILTER (WHERE c.__bad)
        {numbered} WHERE {keep} GROUP BY 1"""
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
