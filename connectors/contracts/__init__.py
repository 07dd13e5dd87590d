"""Data contracts: one YAML per source entity saying what a good extract file looks like.

The loaders enforce these at load time, so the YAML is the single place where a column's type,
whether it must be present in a file, whether its value may be empty, its allowed values, the
primary key, how much of a file may be quarantined and who answers for the feed are written
down (see ``README.md`` beside this file).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CONTRACTS_DIR = Path(__file__).resolve().parent
FORMATS = ("csv", "jsonl", "json_envelope")
DUPLICATE_RULES = ("quarantine_all", "none")
NESTED_MARKERS = ("STRUCT", "[]", "MAP", "JSON")
PRESENCE = ("required", "omittable")
# Above this share of quarantined rows a file fails as a whole (a format change, not a few
# bad rows); a contract may set its own ``max_quarantined_share``.
DEFAULT_MAX_QUARANTINED_SHARE = 0.05
# Up to this many quarantined rows never fail a file, whatever the share: a stray bad row in a
# five-row daily file is a row-level problem (quarantined, the file still loads).
DEFAULT_TOLERATED_QUARANTINED_ROWS = 2
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class ContractViolation(Exception):
    """A file breaks its contract as a whole (missing column, wrong envelope, unknown format,
    too many bad rows).

    The message names the file and what differs; the file is marked ``failed`` in
    ``raw._manifest`` and the other files still load.
    """


class ContractError(ValueError):
    """A contract YAML itself is malformed (a bug in the contract, not in the data)."""


@dataclass(frozen=True)
class Column:
    """One vendor field with the DuckDB type it is stored as in raw.

    ``presence`` is about the file, ``nullable`` about the value: a ``required`` column must be
    in the file (a CSV header, a JSON key of the file's records) or the file fails naming it;
    an ``omittable`` one is a field the vendor legitimately leaves out (a Marketo custom field
    not in every instance's export, GA4's ``user_id`` on a day nobody logged in), and its
    absence is recorded as drift (``missing_column``). ``nullable: false`` means an empty value
    quarantines the row. A JSON record that leaves a key out (GA4 omits null fields) is a
    null value, not drift.
    """

    name: str
    type: str
    nullable: bool = True
    presence: str = "required"
    allowed_values: tuple[str, ...] = ()
    format: str | None = None  # strptime format for DATE/TIMESTAMP fields not in ISO form

    @property
    def is_nested(self) -> bool:
        """Nested (STRUCT/LIST/JSON) values are read as JSON and cast, not as text."""
        return any(marker in self.type.upper() for marker in NESTED_MARKERS)

    @property
    def must_be_present(self) -> bool:
        return self.presence == "required"


@dataclass(frozen=True)
class Replacement:
    """Files named like ``by`` supersede the file named like ``replaced`` with the same
    placeholder values (GA4: the daily ``events_{day}`` replaces ``events_intraday_{day}``)."""

    by: str
    replaced: str

    def _regex(self, template: str) -> re.Pattern[str]:
        parts = _PLACEHOLDER.split(template)
        out = []
        for i, part in enumerate(parts):
            out.append(f"(?P<{part}>[0-9A-Za-z-]+)" if i % 2 else re.escape(part))
        return re.compile("^" + "".join(out) + "$")

    def replaced_slot(self, slot: str) -> str | None:
        """The slot a file of slot ``slot`` replaces, or None when ``slot`` is not a ``by``."""
        m = self._regex(self.by).match(slot)
        return self.replaced.format(**m.groupdict()) if m else None


def delivery_slot(relative_path: str) -> str:
    """The name a delivery is known by: its path without ``.gz`` (a day first sent plain and
    then gzipped is the same file delivered again)."""
    rel = relative_path.replace("\\", "/")
    return rel[:-3] if rel.endswith(".gz") else rel


@dataclass(frozen=True)
class Contract:
    """What one source entity's files must look like and who answers for them."""

    source: str
    entity: str
    file_pattern: str
    format: str
    columns: tuple[Column, ...]
    owner: str
    backup: str
    expected_frequency: str
    freshness_hours: int = 36
    primary_key: tuple[str, ...] = ()
    duplicate_rule: str = "quarantine_all"
    records_path: str | None = None
    ignore_fields: tuple[str, ...] = ()
    null_literals: tuple[str, ...] = ()
    max_quarantined_share: float = DEFAULT_MAX_QUARANTINED_SHARE
    tolerated_quarantined_rows: int = DEFAULT_TOLERATED_QUARANTINED_ROWS
    replaces: tuple[Replacement, ...] = ()
    description: str = ""
    path: Path = field(default=CONTRACTS_DIR)

    @property
    def table(self) -> str:
        """Unqualified table name, shared by ``raw`` and ``quarantine``."""
        return f"{self.source}__{self.entity}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def matches(self, relative_path: str) -> bool:
        """True when a file (path relative to the extracts folder) belongs to this entity.

        Gzip variants (``.gz``) of the pattern match too.
        """
        return fnmatch.fnmatchcase(delivery_slot(relative_path), self.file_pattern)

    @property
    def folder(self) -> str:
        """Folder (relative to the extracts root) where this entity's files land."""
        return self.file_pattern.rsplit("/", 1)[0]

    def replaced_slots(self, slot: str) -> list[str]:
        """Slots the file ``slot`` supersedes by a ``replaces`` rule (none for most feeds)."""
        return [s for r in self.replaces if (s := r.replaced_slot(slot)) is not None]

    def too_many_quarantined(self, rows_in: int, quarantined: int) -> bool:
        """The file as a whole fails: more than the tolerated rows AND above the share."""
        if rows_in <= 0 or quarantined <= self.tolerated_quarantined_rows:
            return False
        return quarantined / rows_in > self.max_quarantined_share


def _column(name: object, spec: dict, path: Path) -> Column:
    legacy_required = bool(spec.get("required", False))
    nullable = spec.get("nullable")
    presence = spec.get("presence", "required")
    if presence not in PRESENCE:
        raise ContractError(f"{path}: column {name}: presence must be one of {PRESENCE}")
    return Column(
        name=str(name),
        type=str(spec["type"]),
        # ``required: true`` (the old key) meant "value not empty"
        nullable=(not legacy_required) if nullable is None else bool(nullable),
        presence=presence,
        allowed_values=tuple(str(v) for v in spec.get("allowed_values", []) or []),
        format=spec.get("format"),
    )


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster


def _parse(path: Path) -> Contract:
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 - safe
    try:
        columns = tuple(_column(name, spec, path) for name, spec in doc["columns"].items())
        contract = Contract(
            source=doc["source"],
            entity=doc["entity"],
            file_pattern=doc["file_pattern"],
            format=doc["format"],
            columns=columns,
            owner=doc["owner"],
            backup=doc["backup"],
            expected_frequency=doc["expected_frequency"],
            freshness_hours=int(doc.get("freshness_hours", 36)),
            primary_key=tuple(doc.get("primary_key") or ()),
            duplicate_rule=doc.get("duplicate_rule", "quarantine_all"),
            records_path=doc.get("records_path"),
            ignore_fields=tuple(doc.get("ignore_fields") or ()),
            null_literals=tuple(str(v) for v in doc.get("null_literals") or ()),
            max_quarantined_share=float(
                doc.get("max_quarantined_share", DEFAULT_MAX_QUARANTINED_SHARE)
            ),
            tolerated_quarantined_rows=int(
                doc.get("tolerated_quarantined_rows", DEFAULT_TOLERATED_QUARANTINED_ROWS)
            ),
            replaces=tuple(
                Replacement(by=str(r["by"]), replaced=str(r["replaced"]))
                for r in doc.get("replaces") or ()
            ),
            description=doc.get("description", ""),
            path=path,
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ContractError(f"{path}: malformed contract, missing or bad key {exc}") from exc
    if contract.format not in FORMATS:
        raise ContractError(f"{path}: format {contract.format!r} is not one of {FORMATS}")
    if contract.duplicate_rule not in DUPLICATE_RULES:
        raise ContractError(f"{path}: duplicate_rule must be one of {DUPLICATE_RULES}")
    if contract.format == "json_envelope" and not contract.records_path:
        raise ContractError(f"{path}: json_envelope contracts need records_path")
    if contract.null_literals and contract.format != "csv":
        raise ContractError(f"{path}: null_literals apply to csv contracts only")
    if not 0 <= contract.max_quarantined_share <= 1:
        raise ContractError(f"{path}: max_quarantined_share must be between 0 and 1")
    unknown_pk = set(contract.primary_key) - set(contract.column_names)
    if unknown_pk:
        raise ContractError(f"{path}: primary_key columns {sorted(unknown_pk)} are not declared")
    return contract


def load_contracts(
    source: str | None = None, contracts_dir: Path = CONTRACTS_DIR
) -> list[Contract]:
    """All contracts (optionally of one source), sorted by table name."""
    pattern = f"{source}/*.yml" if source else "*/*.yml"
    contracts = [_parse(p) for p in sorted(contracts_dir.glob(pattern))]
    if source and not contracts:
        known = sorted({p.parent.name for p in contracts_dir.glob("*/*.yml")})
        raise ContractError(f"no contracts for source {source!r}; known sources: {known}")
    return sorted(contracts, key=lambda c: c.table)


def sources(contracts_dir: Path = CONTRACTS_DIR) -> list[str]:
    """Source names that have at least one contract."""
    return sorted({p.parent.name for p in contracts_dir.glob("*/*.yml")})
