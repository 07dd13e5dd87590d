"""Salesforce record writes shared by sObject Collections, single-record calls and Bulk 2.0.

One function validates a whole batch, resolves keys with one query per key field, applies
allOrNone semantics and writes every accepted record in one transaction.  Each result has
the shape of the REST API's SaveResult / UpsertResult.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sandbox.schema import (
    FieldError,
    SfField,
    SObject,
    coerce_sf_value,
    format_sf_datetime,
)
from sandbox.store import Store, unique_value

_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_RE = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")


def id18(id15: str) -> str:
    """Salesforce's case-safe 18-character id: 3 checksum chars encode upper-case positions."""
    suffix = ""
    for chunk in range(3):
        bits = 0
        for i, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        suffix += _ID_CHARS[bits]
    return id15 + suffix


def normalise_id(value: str) -> str | None:
    """15-char id → 18-char id; 18-char ids are kept as given (extract ids are trusted as-is).

    None when the value is not an id at all.
    """
    if not isinstance(value, str) or not _ID_RE.match(value):
        return None
    return value if len(value) == 18 else id18(value)


class Clock:
    """Strictly increasing millisecond stamps, so `SystemModstamp > last` never misses a write.

    Wall clock by default; `pin(at)` freezes "now" at a chosen instant (each stamp is then 1 ms
    after the previous one) and `advance(seconds)` moves a pinned clock on, so a test decides
    which second a write lands in instead of sleeping to the next one (POST /__admin/clock).
    """

    def __init__(self) -> None:
        self._last = dt.datetime.min.replace(tzinfo=dt.UTC)
        self._pinned: dt.datetime | None = None

    def pin(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("pin the clock to an aware datetime (UTC offset required)")
        self._pinned = at.astimezone(dt.UTC).replace(microsecond=at.microsecond // 1000 * 1000)
        # a pinned clock may go back in time: stamps restart from the pinned instant
        self._last = self._pinned - dt.timedelta(milliseconds=1)

    def advance(self, seconds: float) -> None:
        if self._pinned is None:
            raise ValueError("only a pinned clock can be advanced")
        self._pinned += dt.timedelta(seconds=seconds)
        self._last = max(self._last, self._pinned - dt.timedelta(milliseconds=1))

    def unpin(self) -> None:
        self._pinned = None

    @property
    def pinned(self) -> dt.datetime | None:
        return self._pinned

    def tick(self) -> dt.datetime:
        now = self._pinned if self._pinned is not None else dt.datetime.now(dt.UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if now <= self._last:
            now = self._last + dt.timedelta(milliseconds=1)
        self._last = now
        return now


@dataclass
class WriteItem:
    """One record to save.  key_field None = insert; "Id" = update by id; else upsert by ext id."""

    values: dict
    key_field: str | None = None
    key_value: object = None


@dataclass
class WriteResult:
    id: str | None = None
    success: bool = False
    created: bool = False
    errors: list[dict] = field(default_factory=list)

    def error(self, code: str, message: str, fields: list[str] | None = None) -> None:
        self.errors.append({"statusCode": code, "message": message, "fields": fields or []})


def new_ids(store: Store, sobject: SObject, count: int) -> list[str]:
    first = store.next_sequence(f"sf:{sobject.prefix}", count)
    return [id18(f"{sobject.prefix}RL{n:010d}") for n in range(first, first + count)]


def save_records(
    store: Store,
    sobject: SObject,
    items: list[WriteItem],
    all_or_none: bool,
    clock: Clock,
    api_version: str,
    creatable_only: bool = False,
) -> list[WriteResult]:
    """Validate, resolve and write `items`; one transaction, results in input order."""
    results = [WriteResult() for _ in items]
    cleaned: list[dict] = [{} for _ in items]
    if not sobject.createable:
        for res in results:
            res.error(
                "INVALID_TYPE",
                f"entity type {sobject.name} does not support insert, update or upsert",
            )
        return results

    # 1. field-level validation
    for item, res, clean in zip(items, results, cleaned, strict=True):
        for name, value in item.values.items():
            if name == "attributes":
                continue
            fld = sobject.field(name)
            if fld is None:
                res.error(
                    "INVALID_FIELD",
                    f"No such column '{name}' on sobject of type {sobject.name}",
                    [name],
                )
                continue
            if fld.type == "id":
                continue  # handled as a key below
            if not fld.updateable:
                res.error(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {fld.name}. Please check the security "
                    "settings of this field and verify that it is read/write for your profile.",
                    [fld.name],
                )
                continue
            try:
                clean[fld.name] = _coerce_not_required(fld, value, sobject.name)
            except FieldError as exc:
                res.error(exc.code, exc.message, [exc.field_name])

    # 2. resolve targets: existing id or None (create)
    targets: list[str | None] = [None] * len(items)
    by_key: dict[str, list[int]] = {}
    for i, (item, res) in enumerate(zip(items, results, strict=True)):
        key_field = item.key_field
        if key_field is None:
            continue
        if key_field == "Id":
            raw_id = item.key_value if item.key_value is not None else item.values.get("Id")
            if raw_id in (None, ""):
                continue  # upsert by Id without an Id = insert
            rid = normalise_id(str(raw_id))
            if rid is None or not rid.startswith(sobject.prefix):
                res.error(
                    "MALFORMED_ID",
                    f"{sobject.name} ID: id value of incorrect type: {raw_id}",
                    ["Id"],
                )
                continue
            targets[i] = rid
            by_key.setdefault(f"Id:{rid}", []).append(i)
        else:
            if item.key_value in (None, ""):
                res.error(
                    "MISSING_ARGUMENT",
                    f"{key_field} not specified",
                    [key_field],
                )
                continue
            by_key.setdefault(f"{key_field}:{unique_value(item.key_value)}", []).append(i)
    for key, positions in by_key.items():
        if len(positions) > 1:
            for i in positions:
                results[i].error(
                    "DUPLICATE_VALUE",
                    f"Duplicate external id specified: {key.split(':', 1)[1]}",
                    [key.split(":", 1)[0]],
                )

    ext_fields = {item.key_field for item in items if item.key_field not in (None, "Id")}
    for key_field in ext_fields:
        field_def = sobject.field(key_field)
        lookup = (
            store.lookup_unique if field_def is None or field_def.unique else store.lookup_field
        )
        found = lookup(
            sobject.name,
            key_field,
            [
                it.key_value
                for it in items
                if it.key_field == key_field and it.key_value not in (None, "")
            ],
        )
        for i, item in enumerate(items):
            if item.key_field == key_field and item.key_value not in (None, ""):
                targets[i] = found.get(unique_value(item.key_value))
                cleaned[i][key_field] = (
                    item.key_value if isinstance(item.key_value, str) else str(item.key_value)
                )

    existing = store.get_many(sobject.name, [t for t in targets if t])
    for i, item in enumerate(items):
        rid = targets[i]
        if item.key_field == "Id" and rid is not None:
            record = existing.get(rid)
            if record is None or record.get("IsDeleted"):
                results[i].error(
                    "ENTITY_IS_DELETED" if record else "NOT_FOUND",
                    "entity is deleted" if record else f"Provided Id does not exist: {rid}",
                    [],
                )
        elif rid is not None and existing.get(rid, {}).get("IsDeleted"):
            targets[i] = None  # upsert onto a deleted record creates a new one

    # 3. required fields and unique fields across the batch and the store
    claimed: dict[tuple[str, str], int] = {}
    unique_fields = [f.name for f in sobject.unique_fields if f.name != "Id"]
    for fname in unique_fields:
        # the upsert key itself was resolved above; only other unique values need a lookup
        values = [
            c[fname]
            for c, it in zip(cleaned, items, strict=True)
            if c.get(fname) not in (None, "") and it.key_field != fname
        ]
        holders = store.lookup_unique(sobject.name, fname, values) if values else {}
        for i, clean in enumerate(cleaned):
            value = clean.get(fname)
            if value in (None, "") or results[i].errors:
                continue
            norm = unique_value(value)
            holder = holders.get(norm) if items[i].key_field != fname else None
            if holder is not None and holder != targets[i]:
                results[i].error(
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {fname} duplicates value on record with id: {holder}",
                    [fname],
                )
            elif (fname, norm) in claimed and fname != items[i].key_field:
                results[i].error(
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {fname} duplicates value on record with id: "
                    "another record in this request",
                    [fname],
                )
            else:
                claimed[(fname, norm)] = i
    required = sobject.required_fields
    for i, clean in enumerate(cleaned):
        if results[i].errors:
            continue
        base = existing.get(targets[i] or "", {}) if targets[i] else {}
        missing = [name for name in required if clean.get(name, base.get(name)) in (None, "")]
        if missing:
            results[i].error(
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{', '.join(missing)}]",
                missing,
            )

    failed = any(r.errors for r in results)
    if all_or_none and failed:
        for res in results:
            if not res.errors:
                res.error(
                    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                    "Record rolled back because not all records were valid and the request "
                    "was using AllOrNone header",
                )
        return results

    # 4. write
    ok = [i for i, r in enumerate(results) if not r.errors]
    creates = [i for i in ok if targets[i] is None]
    fresh = iter(new_ids(store, sobject, len(creates))) if creates else iter(())
    stamp = format_sf_datetime(clock.tick())
    rows = []
    rekeyed: set[str] = set()  # records whose unique values changed
    for i in ok:
        rid = targets[i]
        if rid is None:
            rid = next(fresh)
            record = {"Id": rid, "IsDeleted": False, "CreatedDate": stamp}
            results[i].created = True
            rekeyed.add(rid)
        else:
            record = dict(existing[rid])
            if any(f in cleaned[i] and cleaned[i][f] != record.get(f) for f in unique_fields):
                rekeyed.add(rid)
        record.update(cleaned[i])
        record["LastModifiedDate"] = stamp
        record["SystemModstamp"] = stamp
        rows.append((rid, stamp, False, record))
        results[i].id = rid
        results[i].success = True
    store.write_records(sobject.name, rows, unique_fields, rekeyed)
    return results


def _coerce_not_required(fld: SfField, value: object, object_name: str) -> object:
    """Required-ness is checked after merging with the stored record, not per value."""
    if value is None or value == "":
        return None
    return coerce_sf_value(fld, value, object_name)


def attributes(sobject_name: str, record_id: str, api_version: str) -> dict:
    return {
        "type": sobject_name,
        "url": f"/services/data/v{api_version}/sobjects/{sobject_name}/{record_id}",
    }
