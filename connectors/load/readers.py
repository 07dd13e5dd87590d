"""Describe a batch of extract files of one entity as the temp view ``_src``.

Vendors deliver many small files (a day per file, a page per file), so files of one entity
are read together by one DuckDB reader call, and ``_src`` is a *view* over that call: the
files are parsed once, when validation materialises them (see ``validate.check_rows``).
Every format ends in the same shape, so validation is written once: ``_idx`` (the file's
position in ``_files``; its records are numbered later by their position in the scan), or
``_file`` (path
relative to the extracts folder) and ``_n`` (1-based record position) when the reader numbered
them itself, ``_pre_error``/``_pre_field`` (the record could not even be parsed), ``_rec``
(its text, only for such records), one column per contract column (VARCHAR for scalars,
typed or JSON for nested values), ``_extra`` (unknown fields as JSON), ``__ikeys`` (keys of
the contract's ignored fields) and ``__tkeys`` (the record's own key count from its text,
where the text is at hand: JSON lines read one by one and API pages).

Files that break the contract as a whole are returned in ``Staged.failed`` (and left out of
``_src``); a read error that cannot be pinned to one file surfaces as a ``duckdb.Error`` when
``_src`` is scanned, and the caller then stages the files one at a time.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from connectors.contracts import Contract, ContractViolation
from connectors.load.files import SAMPLE_RECORDS
from connectors.load.sql import ident, lit
from connectors.load.validate import text_keys_sql

log = logging.getLogger(__name__)


@dataclass
class Staged:
    """What reading found out: unknown columns per file and files failed as a whole.

    ``late_rows`` are SELECTs of records known only once the scan has run (CSV lines the
    reader rejected), with ``_file, _n, _pre_error, _pre_field, _rec``.
    """

    extra: dict[str, list[str]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    late_rows: list[str] = field(default_factory=list)
    nested_typed: bool = False  # nested columns of _src already have their contract type
    json_columns: set[str] = field(default_factory=set)  # ... except these (JSON text)
    missing: dict[str, list[str]] = field(default_factory=dict)  # omittable columns absent
    nested: dict[str, list[str]] = field(default_factory=dict)  # unknown nested key paths
    keys_checked: str = "none"  # none | file (compare file totals) | record (per record)
    kept: list[str] = field(default_factory=list)  # keys read into _extra for every file


def stage(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    files: list[tuple[Path, str]],
    sample_keys: dict[str, frozenset[str]] | None = None,
    line_by_line: set[str] | None = None,
    fold: dict[str, list[str]] | None = None,
) -> Staged:
    """Create ``_src`` for UTF-8 files (``(text_path, relative)``) of one contract.

    ``sample_keys`` (JSONL only): the keys of each file's first and last records, read while
    the file was checksummed, so the batch needs no sampling scan of its own.
    ``line_by_line`` (JSONL only): a lone file to read line by line (it has blank lines,
    DuckDB could not read it typed, or its keys did not add up). ``fold``: per file, keys
    whose whole value goes to ``_extra`` (see ``_records_to_src``).
    """
    drop_staging(con)
    _register_files(con, files)
    if contract.format == "csv":
        return _stage_csv(con, contract, files)
    if contract.format == "jsonl":
        if len(files) == 1 and files[0][1] in (line_by_line or set()):
            return _stage_jsonl_lines(con, contract, files[0], fold)
        return _stage_jsonl(con, contract, files, sample_keys or {}, fold)
    return _stage_envelope(con, contract, files, fold)


def _register_files(con: duckdb.DuckDBPyConnection, files: list[tuple[Path, str]]) -> None:
    """``_files(_idx, _path, _file)``: ``_idx`` is the position in a reader's path list, which
    is what DuckDB's ``file_index`` column reports for each record."""
    values = ", ".join(f"({i}, {lit(str(p))}, {lit(r)})" for i, (p, r) in enumerate(files))
    if not values:  # every file of the batch failed before reading
        values = "(NULL::BIGINT, NULL::VARCHAR, NULL::VARCHAR)"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _files AS "
        f"SELECT * FROM (VALUES {values}) t(_idx, _path, _file) WHERE _path IS NOT NULL"
    )


def drop_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Drop this module's temp tables/views (they can be large)."""
    for name, kind in con.execute(
        "SELECT view_name, 'VIEW' FROM duckdb_views() WHERE temporary AND view_name LIKE '\\_%' "
        "ESCAPE '\\' UNION ALL SELECT table_name, 'TABLE' FROM duckdb_tables() "
        "WHERE temporary AND table_name LIKE '\\_%' ESCAPE '\\'"
    ).fetchall():
        con.execute(f"DROP {kind} IF EXISTS {ident(name)}")


def _path_list(files: list[tuple[Path, str]]) -> str:
    return "[" + ", ".join(lit(str(p)) for p, _ in files) + "]"


def _missing_required(contract: Contract, present: list[str] | set[str]) -> list[str]:
    """Columns the file must contain (``presence: required``) that it does not."""
    return [c.name for c in contract.columns if c.must_be_present and c.name not in present]


def _missing_omittable(contract: Contract, present: list[str] | set[str]) -> list[str]:
    """Columns a vendor may leave out that this file does leave out (drift of its own kind)."""
    return [c.name for c in contract.columns if not c.must_be_present and c.name not in present]


def _violation(contract: Contract, relative: str, missing: list[str], present: list[str]) -> str:
    return (
        f"{relative}: missing required column(s) {missing} for {contract.table} "
        f"(contract {contract.path.name}); found {sorted(present)}"
    )


def _extra_columns(contract: Contract, present: list[str] | set[str]) -> list[str]:
    known = set(contract.column_names) | set(contract.ignore_fields)
    return sorted(c for c in present if c not in known)


def _extra_json(values: dict[str, str]) -> str:
    """SQL for ``_extra``: the unknown fields as a JSON object, NULL when a row has none."""
    if not values:
        return "NULL::JSON"
    obj = "json_object(" + ", ".join(f"{lit(k)}, {v}" for k, v in values.items()) + ")"
    anything = " OR ".join(f"({v}) IS NOT NULL" for v in values.values())
    return f"CASE WHEN {anything} THEN {obj} END"


def _read_header(text_path: Path, relative: str) -> list[str]:
    with text_path.open(encoding="utf-8", newline="") as handle:
        try:
            header = next(csv.reader(handle))
        except StopIteration:
            return []
        except csv.Error as exc:
            raise ContractViolation(f"{relative}: unreadable CSV header ({exc})") from exc
    header = [h.strip() for h in header]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise ContractViolation(f"{relative}: header repeats column(s) {dupes}")
    if any(not h for h in header):
        raise ContractViolation(f"{relative}: header has an empty column name: {header}")
    return header


def _stage_csv(
    con: duckdb.DuckDBPyConnection, contract: Contract, files: list[tuple[Path, str]]
) -> Staged:
    staged = Staged()
    groups: dict[tuple[str, ...], list[tuple[Path, str]]] = {}
    for path, rel in files:
        try:
            header = _read_header(path, rel)
            if not header:
                raise ContractViolation(f"{rel}: CSV has no header row")
            missing = _missing_required(contract, header)
            if missing:
                raise ContractViolation(_violation(contract, rel, missing, header))
        except ContractViolation as exc:
            staged.failed[rel] = str(exc)
            continue
        omitted = _missing_omittable(contract, header)
        if omitted:
            staged.missing[rel] = omitted
        groups.setdefault(tuple(header), []).append((path, rel))
    selects = []
    nulls = ", ".join(f"NULL::VARCHAR AS {ident(c.name)}" for c in contract.columns)
    # Marketo writes an empty field as the text null; '' stays DuckDB's own null string.
    nullstr = ""
    if contract.null_literals:
        nullstr = ", nullstr = [" + ", ".join(lit(v) for v in [*contract.null_literals, ""]) + "]"
    # Number files group after group, so a group's file_index plus its offset is _idx.
    _register_files(con, [m for members in groups.values() for m in members])
    base = 0
    for i, (header, members) in enumerate(groups.items()):
        extra_cols = _extra_columns(contract, header)
        for _, rel in members:
            if extra_cols:
                staged.extra[rel] = extra_cols
        columns = "{" + ", ".join(f"{lit(h)}: 'VARCHAR'" for h in header) + "}"
        wanted = ", ".join(
            f"{ident(c.name) if c.name in header else 'NULL::VARCHAR'} AS {ident(c.name)}"
            for c in contract.columns
        )
        extra = _extra_json({h: ident(h) for h in extra_cols})
        selects.append(
            f"""SELECT file_index + {base} AS _idx, NULL::VARCHAR AS _file, NULL::BIGINT AS _n,
                   NULL::VARCHAR AS _pre_error, NULL::VARCHAR AS _pre_field,
                   NULL::VARCHAR AS _rec, {wanted}, {extra} AS _extra,
                   NULL::BIGINT AS __ikeys, NULL::BIGINT AS __tkeys
            FROM read_csv({_path_list(members)}, header = true,
                auto_detect = false, delim = ',', quote = '"', escape = '"'{nullstr},
                columns = {columns}, store_rejects = true, rejects_table = '_rej{i}',
                rejects_scan = '_rejscan{i}')"""
        )
        base += len(members)
        # Rejected lines (wrong column count, an unterminated quote at a truncated end) keep
        # their position: DuckDB reports the record's line (the header is line 1) once per
        # problem (a short line: once per missing column), so they are folded into one row
        # per line naming every field. The rejects tables exist once the scan above has run.
        staged.late_rows.append(
            f"""SELECT f._file, r.line - 1 AS _n,
                   'malformed CSV row (line ' || r.line || '): '
                       || arg_min(r.error_message, coalesce(r.column_idx, 0)) AS _pre_error,
                   coalesce(string_agg(r.column_name, ', ' ORDER BY r.column_idx), '(record)')
                       AS _pre_field,
                   arg_min(r.csv_line, coalesce(r.column_idx, 0)) AS _rec
            FROM _rej{i} r JOIN _rejscan{i} s ON s.scan_id = r.scan_id AND s.file_id = r.file_id
            JOIN _files f ON f._path = s.file_path
            GROUP BY f._file, r.line"""
        )
    if not selects:
        selects.append(
            f"SELECT NULL::BIGINT AS _idx, NULL::VARCHAR AS _file, NULL::BIGINT AS _n, "
            f"NULL::VARCHAR AS _pre_error, NULL::VARCHAR AS _pre_field, NULL::VARCHAR AS _rec, "
            f"{nulls}, NULL::JSON AS _extra, NULL::BIGINT AS __ikeys, NULL::BIGINT AS __tkeys "
            "WHERE false"
        )
    con.execute("CREATE OR REPLACE TEMP VIEW _src AS " + " UNION ALL ".join(selects))
    return staged


def _stage_jsonl(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    files: list[tuple[Path, str]],
    sample_keys: dict[str, frozenset[str]],
    fold: dict[str, list[str]] | None = None,
) -> Staged:
    """One parallel, typed ``read_json`` over the batch; line by line when that fails.

    Scalars are read as text and typed by validation (a bad value costs one quarantined row);
    nested values are read straight into their contract type, which is far cheaper than
    reading JSON text and casting it. A record DuckDB cannot read that way (a malformed line,
    a nested value of the wrong shape) fails the scan: the loader then retries file by file,
    and a failing file line by line, so the bad lines are quarantined with their line number.
    Unknown keys seen in each file's first and last records are read into ``_extra`` here;
    whether every key of every record is accounted for is judged after the check, by
    comparing each file's key count (counted in its bytes while it was hashed) with what the
    typed records account for (``keys_checked = "file"``). Which columns a file lacks is
    judged on all its records too, after the check. ``fold`` (the second read of files whose
    keys did not add up): unknown top-level keys to read into ``_extra``, and contract
    columns holding unknown nested keys, read as JSON (kept whole in ``_extra``, cast to
    their type by validation).
    """
    staged = Staged(keys_checked="none" if fold else "file")
    present_anywhere: set[str] = set()
    for _, rel in files:
        present_anywhere.update(sample_keys.get(rel) or ())
    folded = {k for keys in (fold or {}).values() for k in keys}
    json_cols = {c.name for c in contract.columns if c.is_nested and c.name in folded}
    extra_cols = sorted(
        set(_extra_columns(contract, present_anywhere))
        | (folded - set(contract.column_names) - set(contract.ignore_fields))
    )
    columns = {
        c.name: "JSON" if c.name in json_cols else (c.type if c.is_nested else "VARCHAR")
        for c in contract.columns
    }
    columns.update({k: "JSON" for k in extra_cols})
    # Ignored fields are read (to count their keys) only where the samples saw them: a field
    # that appears mid-file only makes the key count disagree, and the file is read again.
    ignored = [
        f
        for f in contract.ignore_fields
        if f not in columns and (f in present_anywhere or f in folded)
    ]
    columns.update({f: "JSON" for f in ignored})
    extra = _extra_json({k: ident(k) for k in [*extra_cols, *sorted(json_cols)]})
    fields = ", ".join(ident(c.name) for c in contract.columns)
    reader = (
        f"read_json({_path_list(files)}, format = 'newline_delimited', "
        f"columns = {_struct_literal(columns)})"
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW _src AS
        SELECT file_index AS _idx, NULL::VARCHAR AS _file, NULL::BIGINT AS _n,
               NULL::VARCHAR AS _pre_error, NULL::VARCHAR AS _pre_field,
               NULL::VARCHAR AS _rec, {fields}, {extra} AS _extra,
               {_ignored_keys_sql(ignored, ident)} AS __ikeys, NULL::BIGINT AS __tkeys
        FROM {reader}"""
    )
    staged.nested_typed = True
    staged.json_columns = json_cols
    staged.kept = extra_cols
    return staged


def describe_keys(con: duckdb.DuckDBPyConnection, path: Path) -> dict:
    """The structure of every record of a JSONL file, merged (what DuckDB's schema detection
    finds reading all of it): ``{key: type name | {...} | [...]}``."""
    relation = con.sql(
        f"SELECT * FROM read_json({lit(str(path))}, format = 'newline_delimited', "
        "sample_size = -1) LIMIT 0"
    )
    return {
        name: _structure(kind) for name, kind in zip(relation.columns, relation.types, strict=True)
    }


def _structure(kind: duckdb.typing.DuckDBPyType) -> object:
    if kind.id == "struct":
        return {name: _structure(child) for name, child in kind.children}
    if kind.id == "list":
        return [_structure(kind.child)]
    return str(kind)


def _ignored_keys_sql(ignored: list[str], value: Callable[[str], str]) -> str:
    """SQL: keys carried by a record's ignored fields (the field itself and what it holds)."""
    if not ignored:
        return "0::BIGINT"
    parts = [
        f"({value(f)} IS NOT NULL)::INT + {text_keys_sql(value(f) + '::VARCHAR')}" for f in ignored
    ]
    return "(" + " + ".join(parts) + ")::BIGINT"


def _struct_literal(columns: dict[str, str]) -> str:
    """``{'name': 'TYPE', ...}`` for a reader's ``columns`` parameter."""
    return "{" + ", ".join(f"{lit(k)}: {lit(v)}" for k, v in columns.items()) + "}"


def _stage_jsonl_lines(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    file: tuple[Path, str],
    fold: dict[str, list[str]] | None = None,
) -> Staged:
    path, rel = file
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _text AS
        SELECT rtrim(_line, chr(13)) AS _rec
        FROM read_csv({lit(str(path))}, columns = {{'_line': 'VARCHAR'}}, header = false,
                      delim = chr(1), quote = '', escape = '', auto_detect = false)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _lines AS
        SELECT {lit(rel)} AS _file, rowid + 1 AS _n, _rec
        FROM _text WHERE _rec IS NOT NULL AND trim(_rec) <> ''"""
    )
    return _records_to_src(con, contract, fold=fold)


def _stage_envelope(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    files: list[tuple[Path, str]],
    fold: dict[str, list[str]] | None = None,
) -> Staged:
    staged = Staged(keys_checked="record")
    con.execute(
        f"""CREATE TEMP TABLE _docs AS
        SELECT f._file, r.content, json_valid(r.content) AS valid
        FROM read_text({_path_list(files)}) r JOIN _files f ON f._path = r.filename"""
    )
    for rel, length in con.execute(
        "SELECT _file, length(content) FROM _docs WHERE NOT valid"
    ).fetchall():
        staged.failed[rel] = (
            f"{rel}: not valid JSON ({length} characters; truncated or corrupt?); "
            "re-deliver the file"
        )
    path = lit("$." + contract.records_path)
    # One parse per document to find the good ones; the details only for the others.
    for rel, top, keys in con.execute(
        f"""SELECT _file, json_type(content),
                   CASE WHEN json_type(content) = 'OBJECT' THEN json_keys(content) END
            FROM _docs WHERE valid AND coalesce(json_type(content, {path}), '') <> 'ARRAY'"""
    ).fetchall():
        found = f"keys {keys}" if keys is not None else f"a JSON {top}"
        staged.failed[rel] = (
            f"{rel}: not the expected envelope for {contract.table}: an object with a "
            f"{contract.records_path!r} array; found {found}"
        )
    con.execute(
        f"""CREATE TEMP TABLE _lines AS
        WITH d AS (SELECT _file,
                          json_extract(content, {lit("$." + contract.records_path + "[*]")}) AS l
                   FROM _docs WHERE valid AND _file NOT IN (SELECT unnest(?::VARCHAR[])))
        SELECT _file, generate_subscripts(l, 1) AS _n, unnest(l)::VARCHAR AS _rec FROM d""",
        [list(staged.failed)],
    )
    more = _records_to_src(con, contract, from_document=True, fold=fold)
    staged.failed.update(more.failed)
    staged.extra.update(more.extra)
    staged.missing.update(more.missing)
    staged.kept = more.kept
    return staged


def _records_to_src(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    *,
    from_document: bool = False,
    fold: dict[str, list[str]] | None = None,
) -> Staged:
    """``_lines(_file, _n, _rec)`` of JSON records → ``_src``, checking keys per file.

    ``from_document``: the records were cut out of a valid JSON document (an API envelope),
    so each is valid JSON and only its kind is checked, with a string test instead of a
    parse; and which columns a file has is looked up in each file's first and last
    ``SAMPLE_RECORDS`` records (an API page lists the same fields in every record). Loose
    lines are checked in full, and their columns judged on every record after the check.
    Every record's key count is taken from its own text (``__tkeys``), so the check can tell
    which records hold a key the contract does not account for. ``fold``: per file, keys
    whose whole value is kept in ``_extra`` (unknown keys, and columns holding unknown
    nested keys, found by a first pass).
    """
    staged = Staged(keys_checked="record")
    if from_document:
        pre_error = "CASE WHEN left(_rec, 1) <> '{' THEN 'record is not a JSON object' END"
    else:
        pre_error = (
            "CASE WHEN NOT json_valid(_rec) THEN 'record is not valid JSON (truncated line?)' "
            "WHEN json_type(_rec::JSON) <> 'OBJECT' THEN 'record is not a JSON object' END"
        )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _parsed AS
        SELECT _file, _n, _rec, {pre_error} AS _pre_error,
               CASE WHEN {pre_error} IS NULL THEN {text_keys_sql("_rec")} END AS __tkeys
        FROM _lines"""
    )
    sampled = "true"
    if from_document:
        sampled = (
            f"(_n <= {SAMPLE_RECORDS} OR _n > (SELECT max(l._n) FROM _lines l "
            f"WHERE l._file = p._file) - {SAMPLE_RECORDS})"
        )
    present: dict[str, list[str]] = {}
    for rel, keys in con.execute(
        f"""SELECT _file, list(DISTINCT k) FROM (
               SELECT _file, unnest(json_keys(_rec::JSON)) AS k FROM _parsed AS p
               WHERE _pre_error IS NULL AND {sampled})
           GROUP BY _file"""
    ).fetchall():
        present[rel] = keys
    all_extra: set[str] = set()
    for rel, keys in present.items():
        if from_document:  # loose lines: judged on every record after the check
            missing = _missing_required(contract, keys)
            if missing:
                staged.failed[rel] = _violation(contract, rel, missing, keys)
                continue
        extra = _extra_columns(contract, keys)
        if extra:
            staged.extra[rel] = extra
            all_extra.update(extra)
    for keys in (fold or {}).values():
        all_extra.update(keys)
    excluded = ", ".join(lit(rel) for rel in staged.failed) or "''"  # '' is never a file
    ignored = [f for f in contract.ignore_fields if f not in contract.column_names]
    kept = sorted(all_extra)
    staged.kept = kept
    spec_cols = {c.name: "JSON" if c.is_nested else "VARCHAR" for c in contract.columns}
    spec_cols.update({f: "JSON" for f in ignored})
    spec = json.dumps(spec_cols)
    fields = ", ".join(f"_s.{ident(c.name)} AS {ident(c.name)}" for c in contract.columns)
    extra_sql = _extra_json({k: f"_rec::JSON -> {lit('$.' + json.dumps(k))}" for k in kept})
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW _src AS
        SELECT NULL::BIGINT AS _idx, _file, _n, _pre_error,
               CASE WHEN _pre_error IS NOT NULL THEN '(record)' END AS _pre_field,
               CASE WHEN _pre_error IS NOT NULL THEN _rec END AS _rec, {fields},
               CASE WHEN _pre_error IS NULL THEN {extra_sql} END AS _extra,
               {_ignored_keys_sql(ignored, lambda f: "_s." + ident(f))} AS __ikeys, __tkeys
        FROM (SELECT *, CASE WHEN _pre_error IS NULL THEN from_json(_rec, {lit(spec)}) END AS _s
              FROM _parsed WHERE _file NOT IN ({excluded}))"""
    )
    return staged
