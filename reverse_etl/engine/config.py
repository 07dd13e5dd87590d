"""Sync definitions: one YAML file per sync, validated into pydantic models.

A sync is data, not code (after drt/Hightouch/Census): the YAML names the payload table,
the destination object, the key, the mode, the field mappings and the guardrails. The engine
stays generic; these models are the only place that knows the file shape, so a typo in a
YAML file fails here with the file name and the offending field instead of mid-sync.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SYNCS_DIR = Path(__file__).resolve().parent.parent / "syncs"

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")


class SyncConfigError(ValueError):
    """A sync YAML file is missing, unreadable or invalid; the message names file and field."""


class FieldMapping(BaseModel):
    """One payload column written to one CRM field."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(description="payload column")
    target: str = Field(description="CRM field / property name")
    max_length: int | None = Field(
        default=None, gt=0, description="known destination length; longer values are rejected"
    )

    @field_validator("source", "target")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _IDENT.match(value):
            raise ValueError(f"{value!r} is not a plain column/field name")
        return value


class Guardrails(BaseModel):
    """Limits checked before (and while) sending; breaking one fails the sync."""

    model_config = ConfigDict(extra="forbid")

    allow_empty: bool = False
    max_change_share: float = Field(default=0.5, gt=0, le=1.0)
    max_clears: int = Field(default=1000, ge=0)
    max_reject_share: float = Field(default=0.2, gt=0, le=1.0)
    min_sent_for_reject_share: int = Field(default=20, ge=1)
    # records the run would really create (after adoption), as a share of the payload; not
    # checked while the destination object is still empty (nothing there to duplicate)
    max_create_share: float = Field(default=1.0, gt=0, le=1.0)


class DeadLetterPolicy(BaseModel):
    """How often a refused record is retried before it is parked."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(
        default=3,
        ge=1,
        description="attempts with the same payload before the record is parked (not retried "
        "until its row changes or `revloop sync --retry`)",
    )


class RekeyPolicy(BaseModel):
    """Where identity resolution publishes retired ids (issue 16), so state follows a merge.

    The table holds one row per retired id: `retired_id` (an id the payload no longer
    uses), `surviving_id` (the id that replaced it; chains are followed) and `entity_type`
    (`person` | `account`). While the table does not exist, nothing is re-keyed."""

    model_config = ConfigDict(extra="forbid")

    table: str = Field(
        default="marts.identity_id_history", description="retired_id → surviving_id table"
    )
    entity_type: str = Field(description="value of entity_type for this sync's keys, e.g. account")

    @field_validator("table")
    @classmethod
    def _table(cls, value: str) -> str:
        if not _TABLE.match(value):
            raise ValueError(f"{value!r} is not a [schema.]table name")
        return value


class SyncConfig(BaseModel):
    """One sync: payload table → (destination, object), keyed by an external id."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    source: str = Field(description="payload table, e.g. reverse_etl.sync_salesforce__lead")
    destination: Literal["salesforce", "hubspot"]
    object: str
    external_id: str = Field(
        description="Salesforce external id field ('Id' = update by id) or HubSpot idProperty"
    )
    key_column: str | None = Field(
        default=None, description="payload column with the key; defaults to external_id"
    )
    mode: Literal["upsert", "update", "mirror"] = "upsert"
    consent_column: str | None = "has_consent"
    fields: list[FieldMapping]
    batch_size: int | None = Field(default=None, gt=0)
    bulk_threshold: int = Field(default=2000, gt=0)
    bulk_job_size: int = Field(
        default=10_000, gt=0, le=150_000_000, description="rows per Bulk API job"
    )
    adopt_by: str | None = Field(
        default=None,
        description="HubSpot: before creating, adopt portal records without the key that "
        "match on this mapped property (e.g. companies by domain)",
    )
    duplicate_of: str | None = Field(
        default=None,
        description="CRM field that points a duplicate record at its survivor's key; the "
        "engine writes it on records it finds to be duplicates (several portal records "
        "adopted by one key, a record left behind by a re-key merge)",
    )
    rekey: RekeyPolicy | None = Field(
        default=None,
        description="follow retired ids (identity merges) to their surviving id: the CRM "
        "record revloop wrote under the retired key is re-keyed (or, when the survivor has "
        "one already, marked a duplicate of it) instead of a new record being created",
    )
    guardrails: Guardrails = Field(default_factory=Guardrails)
    dead_letter: DeadLetterPolicy = Field(default_factory=DeadLetterPolicy)

    @field_validator("fields", mode="before")
    @classmethod
    def _short_form(cls, value: object) -> object:
        """Allow `- Revloop_Score__c` (same name both sides) next to the long form."""
        if isinstance(value, list):
            return [{"source": v, "target": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _IDENT.match(value):
            raise ValueError(f"{value!r} must be letters, digits and underscores")
        return value

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        if not _TABLE.match(value):
            raise ValueError(f"{value!r} is not a [schema.]table name")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SyncConfig:
        targets = [f.target for f in self.fields]
        dupes = sorted({t for t in targets if targets.count(t) > 1})
        if dupes:
            raise ValueError(f"fields map more than one column to {dupes}")
        if not self.fields:
            raise ValueError("fields must list at least one mapping")
        if self.external_id in targets:
            raise ValueError(
                f"external_id {self.external_id!r} must not also be a mapped field; it is "
                "taken from key_column"
            )
        limit = 200 if self.destination == "salesforce" else 100
        if self.batch_size is None:
            self.batch_size = limit
        elif self.batch_size > limit:
            raise ValueError(
                f"batch_size {self.batch_size} exceeds the {self.destination} "
                f"limit of {limit} records per call"
            )
        if (
            self.destination == "salesforce"
            and self.mode == "update"
            and (self.external_id != "Id")
        ):
            raise ValueError(
                "mode update needs external_id: Id (an upsert by a custom external id creates "
                "missing records); use mode upsert for a custom external id"
            )
        if self.destination == "hubspot" and self.mode == "update":
            raise ValueError("hubspot syncs support mode upsert or mirror (batch upsert)")
        if self.duplicate_of is not None:
            if not _IDENT.match(self.duplicate_of):
                raise ValueError(f"duplicate_of {self.duplicate_of!r} is not a plain field name")
            if self.duplicate_of == self.external_id:
                raise ValueError("duplicate_of must not be the external_id field")
        if self.rekey is not None and self.external_id == "Id":
            raise ValueError(
                "rekey needs a revloop id as the key (a custom external id / unique property); "
                "a sync keyed by the CRM's record Id has nothing to re-key"
            )
        if self.adopt_by is not None:
            if self.destination != "hubspot":
                raise ValueError("adopt_by is for hubspot syncs (CRM search by a property)")
            if self.adopt_by not in targets:
                raise ValueError(f"adopt_by {self.adopt_by!r} must be one of the mapped fields")
        return self

    @property
    def mapping(self) -> list[dict]:
        """The mapping as stored with the state (a change needs a full resync)."""
        return [
            {"source": f.source, "target": f.target}
            for f in sorted(self.fields, key=lambda f: f.target)
        ]

    @property
    def key(self) -> str:
        """Payload column that holds the external id value."""
        return self.key_column or self.external_id


def load_sync_file(path: Path) -> SyncConfig:
    """Parse and validate one sync YAML file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SyncConfigError(f"{path}: cannot read sync definition: {exc}") from exc
    if not isinstance(data, dict):
        raise SyncConfigError(f"{path}: expected a mapping at top level, got {type(data).__name__}")
    try:
        return SyncConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors()
        )
        raise SyncConfigError(f"{path}: invalid sync definition: {problems}") from exc


def load_syncs(syncs_dir: Path | None = None, names: list[str] | None = None) -> list[SyncConfig]:
    """Load every `*.yml` in the folder (sorted), optionally only the named syncs."""
    folder = Path(syncs_dir) if syncs_dir else SYNCS_DIR
    if not folder.is_dir():
        raise SyncConfigError(f"{folder}: sync folder does not exist")
    syncs = [load_sync_file(p) for p in sorted(folder.glob("*.y*ml"))]
    seen: dict[str, int] = {}
    for s in syncs:
        seen[s.name] = seen.get(s.name, 0) + 1
    dupes = [n for n, c in seen.items() if c > 1]
    if dupes:
        raise SyncConfigError(f"{folder}: sync names used more than once: {dupes}")
    if names:
        unknown = sorted(set(names) - set(seen))
        if unknown:
            raise SyncConfigError(f"unknown sync(s) {unknown}; defined in {folder}: {sorted(seen)}")
        syncs = [s for s in syncs if s.name in names]
    return syncs
