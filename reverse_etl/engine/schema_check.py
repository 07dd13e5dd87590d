"""Check every mapped field against the destination's schema before anything is sent.

A mapping that names a field the org or portal does not have (or one the integration user
cannot edit) would otherwise come back as thousands of identical record rejects. The check
uses Salesforce's `describe` and HubSpot's properties API (one call per object, cached for
the whole `run_syncs` call) and fails the sync naming each field and how to create it.
"""

from __future__ import annotations

from reverse_etl.destinations.base import FieldInfo
from reverse_etl.engine.config import SyncConfig

# payload column type (DuckDB) -> destination kinds that accept it
_ACCEPTS = {
    # text can carry any value ("true", "2026-05-01", "42"): the CRM validates each one
    "text": {"text", "id", "other", "number", "boolean", "date", "datetime"},
    "number": {"number", "text", "other"},
    "boolean": {"boolean", "text", "other"},
    "date": {"date", "datetime", "text", "other"},
    "datetime": {"datetime", "text", "other"},
}


class SchemaMismatch(RuntimeError):
    """A mapped field is missing on the destination or cannot take the payload's values."""


def payload_kind(duckdb_type: str) -> str:
    t = duckdb_type.upper()
    if t.startswith("BOOL"):
        return "boolean"
    if t.startswith("TIMESTAMP"):
        return "datetime"
    if t == "DATE":
        return "date"
    if (
        t.startswith(("DOUBLE", "FLOAT", "DECIMAL", "NUMERIC", "REAL"))
        or t.endswith("INT")
        or t in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER")
    ):
        return "number"
    return "text"


def _how_to_create(sync: SyncConfig, target: str, kind: str) -> str:
    if sync.destination == "salesforce":
        sf_type = {
            "number": "Number(16, 2)",
            "boolean": "Checkbox",
            "date": "Date",
            "datetime": "Date/Time",
        }.get(kind, "Text(255)")
        return (
            f"create it in Setup → Object Manager → {sync.object} → Fields & Relationships "
            f"(API name {target}, type {sf_type}) and give the integration user edit access "
            "(field-level security); a field the user cannot see is missing from describe too"
        )
    hs_type = {"number": "number", "boolean": "bool", "date": "date", "datetime": "datetime"}.get(
        kind, "string"
    )
    field_type = {"number": "number", "bool": "booleancheckbox", "date": "date"}.get(
        hs_type, "date" if hs_type == "datetime" else "text"
    )
    return (
        f"create it: POST /crm/v3/properties/{sync.object} "
        f'{{"name": "{target}", "label": "{target}", "type": "{hs_type}", "fieldType": '
        f'"{field_type}", "groupName": "revloop"}} (or Settings → Properties)'
    )


def check_schema(
    sync: SyncConfig, fields: dict[str, FieldInfo], column_types: dict[str, str]
) -> dict[str, int]:
    """Raise SchemaMismatch listing every problem; return target → destination length."""
    problems: list[str] = []
    lengths: dict[str, int] = {}
    key = fields.get(sync.external_id.lower())
    if key is None:
        problems.append(
            f"external_id {sync.external_id} does not exist on {sync.destination} {sync.object}"
        )
    elif sync.external_id != "Id" and not key.id_lookup:
        problems.append(
            f"external_id {sync.external_id} on {sync.object} is not an external id / unique "
            "property (mark it External ID + Unique in Salesforce, hasUniqueValue in HubSpot)"
        )
    for mapping in sync.fields:
        kind = payload_kind(column_types.get(mapping.source, "VARCHAR"))
        info = fields.get(mapping.target.lower())
        if info is None:
            problems.append(
                f"field {mapping.target} does not exist on {sync.destination} {sync.object}: "
                + _how_to_create(sync, mapping.target, kind)
            )
            continue
        if not info.writable:
            problems.append(f"field {mapping.target} on {sync.object} is read-only")
        if info.kind not in _ACCEPTS[kind]:
            problems.append(
                f"field {mapping.target} on {sync.object} is {info.vendor_type}; the payload "
                f"column {mapping.source} holds {kind} values"
            )
        if info.length and kind == "text":
            lengths[mapping.target] = info.length
            if mapping.max_length and mapping.max_length > info.length:
                problems.append(
                    f"field {mapping.target} on {sync.object} holds {info.length} characters but "
                    f"the mapping says max_length {mapping.max_length}"
                )
    mapped = {m.target.lower() for m in sync.fields}
    if sync.duplicate_of and sync.duplicate_of.lower() not in mapped:
        info = fields.get(sync.duplicate_of.lower())
        if info is None:
            problems.append(
                f"duplicate_of field {sync.duplicate_of} does not exist on {sync.destination} "
                f"{sync.object}: " + _how_to_create(sync, sync.duplicate_of, "text")
            )
        elif not info.writable or info.kind not in ("text", "other"):
            problems.append(
                f"duplicate_of field {sync.duplicate_of} on {sync.object} must be a writable "
                f"text field (it holds the survivor's key); it is {info.vendor_type}"
            )
    if problems:
        raise SchemaMismatch(
            f"sync {sync.name}: the mapping does not fit {sync.destination} {sync.object}: "
            + "; ".join(problems)
        )
    return lengths
