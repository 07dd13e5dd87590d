"""Data contracts: one YAML per source entity saying what a good extract file looks like.

The loaders enforce these at load time, so the YAML is the single place where a column's type,
whether it may be empty, its allowed values, the primary key and the owner are written down.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CONTRACTS_DIR = Path(__file__).resolve().parent
FORMATS = ("csv", "jsonl", "json_envelope")
DUPLICATE_RULES = ("quarantine_all", "none")
NESTED_MARKERS = ("STRUCT", "[]", "MAP", "JSON")


class ContractViolation(Exception):
    """A file breaks its contract as a whole (missing column, wrong envelope, unknown format).

    The message names the file and what differs; the file is marked ``failed`` in
    ``raw._manifest`` and the other files still load.
    """


class ContractError(ValueError):
    """A contract YAML itself is malformed (a bug in the contract, not in the data)."""


@dataclass(frozen=True)
class Column:
    """One vendor field with the DuckDB type it is stored as in raw."""

    name: str
    type: str
    required: bool = False
    allowed_values: tuple[str, ...] = ()
    format: str | None = None  # strptime format for DATE/TIMESTAMP fields not in ISO form

    @property
    def is_nested(self) -> bool:
        """Nested (STRUCT/LIST/JSON) values are read as JSON and cast, not as text."""
        return any(marker in self.type.upper() for marker in NESTED_MARKERS)


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
        rel = relative_path.replace("\\", "/")
        if rel.endswith(".gz"):
            rel = rel[:-3]
        return fnmatch.fnmatchcase(rel, self.file_pattern)

    @property
    def folder(self) -> str:
        """Folder (relative to the extracts root) where this entity's files land."""
        return self.file_pattern.rsplit("/", 1)[0]


def _parse(path: Path) -> Contract:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        columns = tuple(
            Column(
                name=str(name),
                type=str(spec["type"]),
                required=bool(spec.get("required", False)),
                allowed_values=tuple(str(v) for v in spec.get("allowed_values", []) or []),
                format=spec.get("format"),
            )
            for name, spec in doc["columns"].items()
        )
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
