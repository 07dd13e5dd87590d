"""Object and field definitions of the sandbox CRM, and value validation against them.

The sandbox must reject exactly what a real org/portal rejects (too-long text, wrong types,
unknown fields), otherwise the reverse ETL would pass its tests and fail in production.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SCHEMA_FILE = Path(__file__).with_name("schema.yml")

SYSTEM_FIELDS = ("Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp")
HS_SYSTEM_PROPERTIES = ("hs_object_id", "createdate", "lastmodifieddate")

_TEXT_TYPES = frozenset(
    {"string", "textarea", "email", "phone", "url", "picklist", "reference", "id"}
)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})?$"
)


class FieldError(Exception):
    """A value that a field refuses; carries the vendor error code and the field name."""

    def __init__(self, code: str, message: str, field_name: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field_name = field_name


@dataclass(frozen=True)
class SfField:
    name: str
    type: str
    length: int | None = None
    required: bool = False
    unique: bool = False
    external_id: bool = False
    updateable: bool = True


@dataclass
class SObject:
    name: str
    prefix: str
    createable: bool = True
    fields: dict[str, SfField] = field(default_factory=dict)  # key: lower-case name

    def field(self, name: str) -> SfField | None:
        return self.fields.get(name.lower())

    @property
    def unique_fields(self) -> list[SfField]:
        return [f for f in self.fields.values() if f.unique]

    @property
    def required_fields(self) -> list[str]:
        return [f.name for f in self.fields.values() if f.required]


@dataclass(frozen=True)
class HsProperty:
    name: str
    type: str
    unique: bool = False
    options: tuple[str, ...] = ()
    read_only: bool = False
    custom: bool = False

    def describe(self, object_type: str) -> dict:
        field_types = {
            "string": "text",
            "number": "number",
            "date": "date",
            "datetime": "date",
            "bool": "booleancheckbox",
            "enumeration": "select",
        }
        return {
            "name": self.name,
            "label": self.name.replace("_", " ").title(),
            "type": self.type,
            "fieldType": field_types.get(self.type, "text"),
            "groupName": "revloop"
            if self.name.startswith("revloop_")
            else f"{object_type[:-1]}information",
            "hasUniqueValue": self.unique,
            "hidden": False,
            "calculated": False,
            "externalOptions": False,
            "formField": not self.read_only,
            "modificationMetadata": {"readOnlyValue": self.read_only, "archivable": self.custom},
            "options": [
                {"label": o, "value": o, "displayOrder": i, "hidden": False}
                for i, o in enumerate(self.options)
            ],
        }


@dataclass
class Schema:
    salesforce: dict[str, SObject]  # key: lower-case object name
    hubspot: dict[str, dict[str, HsProperty]]  # object type -> property name -> property

    def sobject(self, name: str) -> SObject | None:
        return self.salesforce.get(name.lower())

    def sobject_by_prefix(self, record_id: str) -> SObject | None:
        for obj in self.salesforce.values():
            if record_id.startswith(obj.prefix):
                return obj
        return None


def load_schema(path: Path = SCHEMA_FILE) -> Schema:
    """Read schema.yml; system fields are added here so the YAML lists only business fields."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    sf: dict[str, SObject] = {}
    for name, spec in raw["salesforce"].items():
        obj = SObject(
            name=name, prefix=str(spec["prefix"]), createable=spec.get("createable", True)
        )
        obj.fields["id"] = SfField("Id", "id", 18, updateable=False, unique=True)
        obj.fields["isdeleted"] = SfField("IsDeleted", "boolean", updateable=False)
        for sys_name in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
            obj.fields[sys_name.lower()] = SfField(sys_name, "datetime", updateable=False)
        for fname, fspec in (spec.get("fields") or {}).items():
            obj.fields[fname.lower()] = SfField(
                name=fname,
                type=fspec["type"],
                length=fspec.get("length"),
                required=bool(fspec.get("required", False)),
                unique=bool(fspec.get("unique", False)),
                external_id=bool(fspec.get("external_id", False)),
            )
        sf[name.lower()] = obj
    hs: dict[str, dict[str, HsProperty]] = {}
    for object_type, props in raw["hubspot"].items():
        hs[object_type] = {
            "hs_object_id": HsProperty("hs_object_id", "number", unique=True, read_only=True),
            "createdate": HsProperty("createdate", "datetime", read_only=True),
            "lastmodifieddate": HsProperty("lastmodifieddate", "datetime", read_only=True),
        }
        for pname, pspec in props.items():
            hs[object_type][pname] = HsProperty(
                name=pname,
                type=pspec["type"],
                unique=bool(pspec.get("unique", False)),
                options=tuple(pspec.get("options", ())),
            )
    return Schema(salesforce=sf, hubspot=hs)


# ---------------------------------------------------------------- datetime helpers


def parse_datetime(text: str) -> dt.datetime | None:
    """Parse the ISO-8601 forms Salesforce accepts; naive values are UTC."""
    m = _DATETIME_RE.match(text.strip())
    if not m:
        return None
    date_part, hh, mm, ss, frac, tz = m.groups()
    try:
        base = dt.datetime.fromisoformat(f"{date_part}T{hh}:{mm}:{ss}")
    except ValueError:
        return None
    if frac:
        base = base.replace(microsecond=int(frac[1:].ljust(6, "0")))
    offset = dt.timedelta(0)
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        offset = sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return (base - offset).replace(tzinfo=dt.UTC)


def format_sf_datetime(value: dt.datetime) -> str:
    """Salesforce's wire format: 2026-03-02T01:04:05.000+0000."""
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def format_hs_datetime(value: dt.datetime) -> str:
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------- Salesforce values


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def coerce_sf_value(fld: SfField, value: object, object_name: str) -> object:
    """Return the stored form of `value` for `fld`, or raise FieldError like the REST API does."""
    if value is None or value == "":
        if fld.required:
            raise FieldError(
                "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{fld.name}]", fld.name
            )
        return None
    t = fld.type
    if t in _TEXT_TYPES and isinstance(value, str):  # fast path: most synced values are text
        if fld.length is not None and len(value) > fld.length:
            raise FieldError(
                "STRING_TOO_LONG",
                f"{fld.name}: data value too large: {value[:80]} (max length={fld.length})",
                fld.name,
            )
        if t == "email" and ("@" not in value or " " in value):
            raise FieldError(
                "INVALID_EMAIL_ADDRESS", f"{fld.name}: invalid email address: {value}", fld.name
            )
        return value

    def bad_type() -> FieldError:
        return FieldError(
            "INVALID_TYPE_ON_FIELD_IN_RECORD",
            f"{fld.name}: value not of required type: {value}",
            fld.name,
        )

    if t in ("double", "currency", "percent", "int"):
        if isinstance(value, str):
            try:
                value = float(value) if t != "int" else int(value)
            except ValueError:
                raise bad_type() from None
        if not _is_number(value) or (isinstance(value, float) and not math.isfinite(value)):
            raise bad_type()
        if t == "int":
            if isinstance(value, float) and not value.is_integer():
                raise bad_type()
            return int(value)
        return float(value)
    if t == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise bad_type()
    if t == "date":
        if not isinstance(value, str) or not _DATE_RE.match(value):
            raise bad_type()
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise bad_type() from None
        return value
    if t == "datetime":
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is None:
            raise bad_type()
        return format_sf_datetime(parsed)
    # text-like: string, textarea, email, phone, url, picklist, reference, id
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise bad_type()
    text = value if isinstance(value, str) else str(value)
    if fld.length is not None and len(text) > fld.length:
        raise FieldError(
            "STRING_TOO_LONG",
            f"{fld.name}: data value too large: {text[:80]} (max length={fld.length})",
            fld.name,
        )
    if t == "email" and ("@" not in text or " " in text):
        raise FieldError(
            "INVALID_EMAIL_ADDRESS", f"{fld.name}: invalid email address: {text}", fld.name
        )
    return text


# ---------------------------------------------------------------- HubSpot values


def coerce_hs_value(prop: HsProperty, value: object) -> str:
    """HubSpot stores and returns every property value as a string."""
    if prop.read_only:
        raise FieldError(
            "READ_ONLY_VALUE", f'Property "{prop.name}" is a read only property', prop.name
        )
    if value is None or value == "":
        return ""  # HubSpot clears a property of any type when sent an empty string
    if prop.type == "number":
        try:
            number = float(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is None or not math.isfinite(number):
            raise FieldError("INVALID_DECIMAL", f"{value} was not a valid number.", prop.name)
        return str(int(number)) if number.is_integer() else repr(number)
    if prop.type == "bool":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower()
        raise FieldError(
            "INVALID_OPTION",
            f'{value} was not one of the allowed options: [label: "Yes"\nvalue: "true"\n, '
            f'label: "No"\nvalue: "false"\n]',
            prop.name,
        )
    if prop.type == "date":
        if isinstance(value, int) and not isinstance(value, bool):
            stamp = dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
            if stamp.time() != dt.time(0):
                raise FieldError(
                    "INVALID_DATE", f"{value} is at {stamp.time()} not midnight!", prop.name
                )
            return stamp.date().isoformat()
        if isinstance(value, str) and _DATE_RE.match(value):
            try:
                return dt.date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        raise FieldError("INVALID_DATE", f"{value} is not a valid date", prop.name)
    if prop.type == "datetime":
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is None:
            raise FieldError("INVALID_DATE", f"{value} is not a valid datetime", prop.name)
        return format_hs_datetime(parsed)
    text = value if isinstance(value, str) else str(value)
    if prop.type == "enumeration" and prop.options and text not in prop.options:
        raise FieldError(
            "INVALID_OPTION",
            f"{text} was not one of the allowed options: {list(prop.options)}",
            prop.name,
        )
    if prop.name == "email" and text and ("@" not in text or " " in text):
        raise FieldError("INVALID_EMAIL", f"Email address {text} is invalid", prop.name)
    if len(text) > 65536:
        raise FieldError("INVALID_LONG_STRING", f"{prop.name} value is too long", prop.name)
    return text
