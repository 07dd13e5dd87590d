"""What the engine hands a destination and what it gets back, independent of any CRM.

A destination yields results one confirmed batch at a time so the engine can commit state
per batch: a crash loses at most the in-flight batch, which is re-sent (idempotently, by
external id) on the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(slots=True)
class OutboundRecord:
    """One record to write: the key (external id value) and the CRM fields to set."""

    key: str
    fields: dict[str, Any]
    # retire: a record revloop wrote under a key identity resolution retired, when the
    # surviving key has a record already: its key is emptied and it points at the survivor.
    # duplicate: a portal record that also matched an adopted key (written by the
    # destination itself, never planned)
    action: Literal["create", "update", "clear", "retire", "duplicate"] = "update"
    # the CRM's own id of a record revloop wrote before: updates and clears go by it (never
    # an upsert, which would re-create a record deleted in the CRM)
    destination_id: str | None = None


@dataclass(frozen=True)
class WriteRequest:
    object: str
    external_id: str
    mode: str
    records: list[OutboundRecord]
    batch_size: int
    bulk_threshold: int = 2000
    bulk_job_size: int = 10_000
    # HubSpot: adopt portal records lacking the key by this property (e.g. companies by domain)
    adopt_by: str | None = None
    # called with each Bulk API job's info as soon as its id is known (the engine records it
    # so a later run can finish or abort it)
    on_bulk_job: Callable[[dict], None] | None = None
    # field pointing a duplicate at its survivor's key (adoption: the other portal records
    # with the same adopt_by value get it)
    duplicate_of: str | None = None


@dataclass
class RecordResult:
    """The destination's verdict on one record."""

    key: str
    success: bool
    destination_id: str | None = None
    created: bool | None = None
    error_code: str | None = None
    error_message: str | None = None
    # the CRM says the record no longer exists (deleted, merged): drop it from state, do not
    # retry, never re-create it
    gone: bool = False
    adopted: bool = False  # an existing CRM record that revloop took over (HubSpot by domain)
    # set on the result of a duplicate pointer write: the survivor's key (the result's own
    # key is a trace key, see duplicate_trace_key)
    duplicate_of: str | None = None


DUPLICATE_MARK = "#duplicate:"


def duplicate_trace_key(survivor_key: str, destination_id: str) -> str:
    """The key a duplicate pointer write travels under (unique in its batch)."""
    return f"{survivor_key}{DUPLICATE_MARK}{destination_id}"


@dataclass
class BatchResult:
    """Results of one confirmed call (or bulk job), in no particular order."""

    results: list[RecordResult] = field(default_factory=list)
    method: str = "rest"


@dataclass(frozen=True)
class FieldInfo:
    """One destination field as its schema API describes it (Salesforce describe, HubSpot
    properties), reduced to what the pre-send check needs."""

    name: str
    kind: str  # text | number | boolean | date | datetime | id | other
    vendor_type: str
    length: int | None = None
    writable: bool = True
    unique: bool = False
    id_lookup: bool = False


@dataclass
class Prepared:
    """What a write would really do once the destination looked records up (adoption)."""

    request: WriteRequest
    creates: int = 0
    adopted: int = 0
    destination_empty: bool = False
    duplicates: int = 0  # other portal records matching an adopted key (pointer written)


class Destination(Protocol):
    name: str
    api_calls: int

    def describe(self, object_name: str) -> dict[str, FieldInfo]:
        """Fields of the object, keyed by lower-case name (cached by the caller per run)."""
        ...

    def prepare(self, request: WriteRequest) -> Prepared:
        """Look records up before writing (adoption); count true creates."""
        ...

    def write(self, request: WriteRequest) -> Iterator[BatchResult]:
        """Send the records in batches, yielding each batch's per-record results."""
        ...
