"""Seed the sandbox with the Salesforce records of an extracts folder.

The sandbox then looks like the org the extracts came from, so the extractor and the syncs
see realistic data.  Seeding is idempotent: a fingerprint of the files is kept in the
database and the same files are never applied twice; a record the sandbox changed later
(newer SystemModstamp) is never overwritten by an older extract version.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from pathlib import Path

from sandbox.schema import (
    Schema,
    SfField,
    SObject,
    format_sf_datetime,
    parse_datetime,
)
from sandbox.store import Store

log = logging.getLogger(__name__)

EPOCH = "1970-01-01T00:00:00.000+0000"


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _file_stamps(files: list[Path], root: Path) -> dict[str, str]:
    """relative path → size and mtime: how the seeding recognises a page it already applied."""
    stamps = {}
    for path in files:
        stat = path.stat()
        stamps[_rel(path, root)] = f"{stat.st_size}|{stat.st_mtime_ns}"
    return stamps


# Salesforce's own wire format (what an export holds): such a value is its own canonical
# form once its date and time are valid, so it skips the parse and format
_WIRE_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000")


def _canonical(value: str) -> str | None:
    if _WIRE_DATETIME.fullmatch(value):
        try:
            dt.datetime.fromisoformat(value[:19])
        except ValueError:
            return None
        return value
    parsed = parse_datetime(value)
    return format_sf_datetime(parsed) if parsed is not None else None


def _stamp(record: dict) -> str:
    for name in ("SystemModstamp", "LastModifiedDate", "CreatedDate"):
        value = record.get(name)
        if isinstance(value, str):
            canonical = _canonical(value)
            if canonical is not None:
                return canonical
    return EPOCH


def _infer_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "double"
    if isinstance(value, str) and len(value) == 10 and value[4:5] == "-" and value[7:8] == "-":
        return "date"
    if isinstance(value, str) and parse_datetime(value) is not None:
        return "datetime"
    return "string"


def register_extra_fields(schema: Schema, extra: dict[str, dict]) -> None:
    """Add objects/fields seen in extract files but absent from schema.yml (read-only)."""
    for obj_name, spec in extra.items():
        sobject = schema.sobject(obj_name)
        if sobject is None:
            sobject = SObject(name=obj_name, prefix=spec["prefix"], createable=False)
            sobject.fields["id"] = SfField("Id", "id", 18, updateable=False, unique=True)
            sobject.fields["isdeleted"] = SfField("IsDeleted", "boolean", updateable=False)
            for sys_name in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
                sobject.fields[sys_name.lower()] = SfField(sys_name, "datetime", updateable=False)
            schema.salesforce[obj_name.lower()] = sobject
        for fname, ftype in spec["fields"].items():
            if sobject.field(fname) is None:
                sobject.fields[fname.lower()] = SfField(fname, ftype, updateable=False)


def load_extra_fields(store: Store, schema: Schema) -> None:
    extra = json.loads(store.get_meta("seed_extra_fields") or "{}")
    register_extra_fields(schema, extra)


def seed_from_extracts(store: Store, schema: Schema, extracts: Path) -> dict[str, int]:
    """Apply `<extracts>/salesforce/<Object>/*.json`; returns records written per object.

    Records without a string Id and unreadable pages are skipped with a warning and counted
    under `_skipped`. Only pages whose size or mtime differ from those of the last seeding
    are read (meta ``seed_files``); the newest version of a record wins either way, so
    skipping the pages already applied changes nothing.
    """
    root = Path(extracts) / "salesforce"
    if not root.is_dir():
        log.info("no Salesforce extracts under %s; sandbox starts without seed data", root)
        return {}
    every_file = sorted(p for p in root.glob("*/*.json") if p.is_file())
    stamps = _file_stamps(every_file, root)
    applied: dict[str, str] = json.loads(store.get_meta("seed_files") or "{}")
    # Only pages new or changed since the last start are read: a night adds a few pages to
    # two years of them, and re-reading all (newest version wins, so it changed nothing)
    # made the sandbox's start grow with the history.
    files = [p for p in every_file if applied.get(_rel(p, root)) != stamps[_rel(p, root)]]
    if not files:
        log.info("sandbox already seeded from these %d files; skipping", len(every_file))
        return {}

    newest: dict[str, dict[str, tuple[str, dict]]] = {}
    known_fields: dict[str, set[str]] = {}
    skipped = 0
    extra: dict[str, dict] = json.loads(store.get_meta("seed_extra_fields") or "{}")
    for path in files:
        obj_name = path.parent.name
        try:
            page = json.loads(path.read_text(encoding="utf-8"))
            records = page["records"]
            if not isinstance(records, list):
                raise TypeError("records is not a list")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # extracts may carry deliberately broken files (the loaders quarantine them); the
            # sandbox seeds what it can rather than refusing to start
            log.warning(
                "skipping unreadable Salesforce extract page %s: %s; expected a SOQL response "
                'page {"records": [...]}',
                path,
                exc,
            )
            skipped += 1
            continue
        sobject = schema.sobject(obj_name)
        per_object = newest.setdefault(sobject.name if sobject else obj_name, {})
        # fields of the schema seen on this object: looked up once, not once per record
        known = known_fields.setdefault(obj_name, set())
        for position, record in enumerate(records, start=1):
            if not isinstance(record, dict) or not isinstance(record.get("Id"), str):
                log.warning("skipping %s record %d: no string Id", path, position)
                skipped += 1
                continue
            data = {k: v for k, v in record.items() if k != "attributes"}
            data.setdefault("IsDeleted", False)
            for key, value in data.items():
                if key in known:
                    continue
                if sobject is not None and sobject.field(key) is not None:
                    known.add(key)
                elif value is not None:
                    spec = extra.setdefault(
                        sobject.name if sobject else obj_name,
                        {"prefix": record["Id"][:3], "fields": {}},
                    )
                    spec["fields"].setdefault(key, _infer_type(value))
                    known.add(key)  # its type is the first non-empty value's
            stamp = _stamp(data)
            previous = per_object.get(data["Id"])
            if previous is None or stamp >= previous[0]:
                per_object[data["Id"]] = (stamp, data)
    register_extra_fields(schema, extra)

    written: dict[str, int] = {}
    with store.transaction():
        for obj_name, versions in newest.items():
            sobject = schema.sobject(obj_name)
            assert sobject is not None
            current = store.get_many(sobject.name, versions.keys())
            rows = []
            for rid, (stamp, data) in versions.items():
                existing = current.get(rid)
                if existing is not None and _stamp(existing) >= stamp:
                    continue  # already this version, or the sandbox changed it since
                rows.append((rid, stamp, bool(data.get("IsDeleted")), data))
            unique = [f.name for f in sobject.unique_fields if f.name != "Id"]
            store.write_records(sobject.name, rows, unique)
            written[sobject.name] = len(rows)
        store.set_meta("seed_extra_fields", json.dumps(extra))
        store.set_meta("seed_files", json.dumps(stamps))
    if skipped:
        written["_skipped"] = skipped
    log.info(
        "seeded sandbox from %d new or changed of %d extract files: %s",
        len(files),
        len(every_file),
        written,
    )
    return written
