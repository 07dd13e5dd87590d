"""What the engine hands a destination and what it gets back, independent of any CRM.

A destination yields results one confirmed batch at a time so the engine can commit state
per batch: a crash loses at most the in-flight batch, which is re-sent (idempotently, by
external id) on the next run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(slots=True)
class OutboundRecord:
    """One record to write: the key (external id value) and the CRM fields to set."""

    key: str
    fields: dict[str, Any]
    action: Literal["create", "update", "clear"] = "update"


@dataclass(frozen=True)
class WriteRequest:
    object: str
    external_id: str
    mode: str
    records: list[OutboundRecord]
    batch_size: int
    bulk_threshold: int = 2000


@dataclass
class RecordResult:
    """The destination's verdict on one record."""

    key: str
    success: bool
    destination_id: str | None = None
    created: bool | None = None
    error_code: str | None = None
    error_message: str | None = None


@dataclass
class BatchResult:
    """Results of one confirmed call (or bulk job), in no particular order."""

    results: list[RecordResult] = field(default_factory=list)
    method: str = "rest"


class Destination(Protocol):
    name: str
    api_calls: int

    def write(self, request: WriteRequest) -> Iterator[BatchResult]:
        """Send the records in batches, yielding each batch's per-record results."""
        ...
