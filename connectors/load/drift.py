"""Which keys of a JSON record the contract does not know, found exactly and cheaply.

Every record's keys are counted twice: from its text (``files.json_key_count`` for a whole
JSONL file, ``validate.text_keys_sql`` per record) and from what the typed record accounts for
(``validate.key_count_sql``). Only when the two disagree is the structure of the disagreeing
records computed (``json_group_structure``) and compared with the contract's types here, so
a new key anywhere — top level or nested (``device.operating_system``) — becomes a drift row
without parsing every file twice.
"""

from __future__ import annotations

import json
from functools import cache

import duckdb

from connectors.contracts import Contract


@cache
def _types(contract: Contract) -> dict[str, duckdb.typing.DuckDBPyType]:
    con = duckdb.connect()
    try:
        return {c.name: con.sql(f"SELECT NULL::{c.type} AS v").types[0] for c in contract.columns}
    finally:
        con.close()


def _walk(struct: object, kind: duckdb.typing.DuckDBPyType, path: str, out: list[str]) -> None:
    if str(kind).upper() == "JSON":  # free-form by contract
        return
    if isinstance(struct, dict):
        if kind.id != "struct":
            return  # a value of another shape: a typing problem, not a new key
        children = dict(kind.children)
        for key, sub in struct.items():
            if key not in children:
                out.append(f"{path}.{key}")
            else:
                _walk(sub, children[key], f"{path}.{key}", out)
    elif isinstance(struct, list) and struct and kind.id == "list":
        _walk(struct[0], kind.child, f"{path}[]", out)


def unknown_keys(contract: Contract, structure: str | dict) -> tuple[list[str], list[str]]:
    """(top-level keys, nested key paths) of a ``json_group_structure`` result the contract
    does not declare (ignored fields are known)."""
    doc = json.loads(structure) if isinstance(structure, str) else structure
    if not isinstance(doc, dict):
        return [], []
    types = _types(contract)
    top: list[str] = []
    nested: list[str] = []
    for key, sub in doc.items():
        if key in types:
            _walk(sub, types[key], key, nested)
        elif key not in contract.ignore_fields:
            top.append(key)
    return sorted(top), sorted(nested)


def odd_record_structures(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """file → merged structure of its records whose key counts disagree (after the check;
    needs ``_parsed`` with the record texts)."""
    rows = con.execute(
        """SELECT p._file, json_group_structure(p._rec::JSON)
           FROM _checked c JOIN _parsed p ON p._file = c._file AND p._n = c._n
           WHERE c.__tkeys IS NOT NULL AND c.__nkeys IS NOT NULL AND c.__tkeys <> c.__nkeys
           GROUP BY 1"""
    ).fetchall()
    return dict(rows)
