"""HubSpot destination: CRM v3 batch writes, ≤ 100 inputs per call.

- New records: `POST /crm/v3/objects/{type}/batch/upsert` by a unique `idProperty`
  (idempotent when a lost answer makes us resend). Records revloop wrote before (updates,
  clears) and adopted ones: `batch/update` by record id, which never creates. 200 = all
  written, 207 = multi-status with `results` and `errors`; each input carries
  `objectWriteTraceId` = our record key so results map back without relying on order.
- A batch refused as a whole (409 conflict, 400 VALIDATION_ERROR for an invalid value or an
  unknown property: the portal does not say which input) is bisected until the bad record is
  isolated: the good ones are written, the bad one is rejected with HubSpot's category and
  message. A 404 OBJECT_NOT_FOUND names records deleted in the portal: they are reported
  `gone` (dropped from state, never re-created) and the rest of the batch is resent.
- Adoption (`adopt_by`, e.g. companies by domain): before creating, CRM search finds portal
  records without revloop's key; the oldest match is updated by id and gets the key. With
  `duplicate_of` set, the other matches are duplicates: they get that property = the key
  (a pointer RevOps merges with HubSpot's tools) and are never adopted later.
- Pacing: at most 190 requests per rolling 10 s (HubSpot's private-app burst limit is 190 or
  more), plus honouring `X-HubSpot-RateLimit-Remaining: 0` and 429 `Retry-After`.
- Empty values are sent as "" (HubSpot clears a property on an empty string), except on
  creates, where there is nothing to clear and the property is simply left out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import requests

from reverse_etl.destinations.base import (
    DUPLICATE_MARK,
    BatchResult,
    FieldInfo,
    OutboundRecord,
    Prepared,
    RecordResult,
    WriteRequest,
    duplicate_trace_key,
)
from reverse_etl.destinations.http import (
    DestinationAuthError,
    DestinationError,
    DestinationRateLimited,
    RetryPolicy,
    make_session,
    send_with_retry,
)

log = logging.getLogger(__name__)

MAX_BATCH = 100


def _record_level(status: int, category: str, message: str) -> bool:
    """A whole-batch refusal caused by some input(s) (bisect), not by the request itself.

    409: a unique value already held by another object. 400 VALIDATION_ERROR "Property values
    were not valid" (an invalid value, an unknown property: HubSpot refuses the whole batch
    and does not say which input) or "Duplicate IDs" (two inputs fold to the same key). Any
    other 400 (bad idProperty, malformed body) would fail every half too, so it stops the
    sync instead of costing 2n-1 calls.
    """
    text = message.lower()
    return status == 409 or (
        status == 400
        and category == "VALIDATION_ERROR"
        and ("property values were not valid" in text or "duplicate id" in text)
    )


class RequestPacer:
    """Sliding-window limiter: at most `max_requests` starts per `window` seconds.

    `clock` and `sleep` are injectable (default: the monotonic clock and `time.sleep`) so a
    test can check the window exactly on a fake clock instead of timing real sleeps."""

    def __init__(
        self,
        max_requests: int = 190,
        window: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_requests = max_requests
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            while self._starts and now - self._starts[0] >= self.window:
                self._starts.popleft()
            if len(self._starts) >= self.max_requests:
                pause = self.window - (now - self._starts[0])
                if pause > 0:
                    log.info(
                        "HubSpot pacing: sleeping %.2fs to stay under %d req/%.0fs",
                        pause,
                        self.max_requests,
                        self.window,
                    )
                    self._sleep(pause)
                self._starts.popleft()
            self._starts.append(self._clock())


class HubSpotDestination:
    """Writes records to one HubSpot portal over the CRM v3 API."""

    name = "hubspot"

    def __init__(
        self,
        base_url: str,
        token: str,
        retry: RetryPolicy | None = None,
        pacer: RequestPacer | None = None,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.session = make_session(token)
        self.retry = retry or RetryPolicy()
        self.pacer = pacer or RequestPacer()
        # CRM search has a limit of its own (a few requests per second per token)
        self.search_pacer = RequestPacer(4, 1.0)
        self._calls = [0]

    def __repr__(self) -> str:  # never show the token
        return f"HubSpotDestination({self.base!r})"

    @property
    def api_calls(self) -> int:
        return self._calls[0]

    def _post(self, path: str, what: str, body: dict, pacer: RequestPacer | None = None):
        (pacer or self.pacer).wait()
        response = send_with_retry(
            self.session,
            "POST",
            f"{self.base}/crm/v3{path}",
            self.retry,
            what=what,
            counter=self._calls,
            json=body,
        )
        self._respect_headers(response)
        if response.status_code == 401:
            raise DestinationAuthError(
                f"{what}: HubSpot rejected the access token (401); set a valid "
                "HUBSPOT_ACCESS_TOKEN (a private app token with the CRM scopes) and re-run"
            )
        return response

    def _get(self, path: str, what: str, **params: Any) -> requests.Response:
        self.pacer.wait()
        response = send_with_retry(
            self.session,
            "GET",
            f"{self.base}/crm/v3{path}",
            self.retry,
            what=what,
            counter=self._calls,
            params=params,
        )
        self._respect_headers(response)
        if response.status_code == 401:
            raise DestinationAuthError(f"{what}: HubSpot rejected the access token (401)")
        if response.status_code >= 400:
            category, message = _hs_error(response)
            raise DestinationError(f"{what}: HTTP {response.status_code} {category}: {message}")
        return response

    # -- schema --------------------------------------------------------------------------
    def describe(self, object_name: str) -> dict[str, FieldInfo]:
        body = self._get(f"/properties/{object_name}", f"HubSpot properties of {object_name}")
        out: dict[str, FieldInfo] = {}
        for p in body.json().get("results") or []:
            vendor = str(p.get("type", ""))
            meta = p.get("modificationMetadata") or {}
            out[str(p["name"]).lower()] = FieldInfo(
                name=str(p["name"]),
                kind=_KIND.get(vendor, "other"),
                vendor_type=vendor,
                writable=not meta.get("readOnlyValue", False) and not p.get("calculated", False),
                unique=bool(p.get("hasUniqueValue")),
                id_lookup=bool(p.get("hasUniqueValue")),
            )
        return out

    # -- adoption ------------------------------------------------------------------------
    def prepare(self, request: WriteRequest) -> Prepared:
        """Before creating, adopt portal records that lack revloop's key by `adopt_by` (HubSpot
        does not de-duplicate API creates, e.g. companies by domain): the oldest match per
        value is updated by id and gets the key; the rest are created."""
        adopted = duplicates = 0
        empty = False
        if request.adopt_by:
            new = [r for r in request.records if r.action == "create" and not r.destination_id]
            wanted: dict[str, OutboundRecord] = {}
            for rec in new:
                value = _norm(rec.fields.get(request.adopt_by))
                if value and value not in wanted:
                    wanted[value] = rec
            matches = self._search_unkeyed(request, list(wanted)) if wanted else {}
            pointers: list[OutboundRecord] = []
            for value, hs_ids in matches.items():
                rec = wanted[value]
                rec.destination_id = hs_ids[0]
                rec.action = "update"
                rec.fields = {**rec.fields, request.external_id: rec.key}
                adopted += 1
                # the other portal records with this value are duplicates of the adopted one:
                # the unique key stays on the survivor, they get a pointer to it (RevOps
                # merges them in HubSpot)
                for other in hs_ids[1:] if request.duplicate_of else ():
                    pointers.append(
                        OutboundRecord(
                            duplicate_trace_key(rec.key, other),
                            {request.duplicate_of: rec.key},
                            "duplicate",
                            other,
                        )
                    )
            duplicates = len(pointers)
            request.records.extend(pointers)
            empty = (
                not self._get(
                    f"/objects/{request.object}", f"HubSpot probe {request.object}", limit=1
                )
                .json()
                .get("results")
            )
        creates = sum(1 for r in request.records if r.action == "create" and not r.destination_id)
        return Prepared(
            request,
            creates=creates,
            adopted=adopted,
            destination_empty=empty,
            duplicates=duplicates,
        )

    def _search_unkeyed(self, request: WriteRequest, values: list[str]) -> dict[str, list[str]]:
        """value -> ids of the portal records with that `adopt_by` value and no key, oldest
        first (createdate, then id): the first is adopted, the others are its duplicates."""
        found: dict[str, dict[str, tuple[str, int, str]]] = {}
        for start in range(0, len(values), 100):
            chunk = values[start : start + 100]
            after: str | None = None
            while True:
                body: dict[str, Any] = {
                    "filterGroups": [
                        {
                            "filters": [
                                {
                                    "propertyName": request.adopt_by,
                                    "operator": "IN",
                                    "values": chunk,
                                },
                                {
                                    "propertyName": request.external_id,
                                    "operator": "NOT_HAS_PROPERTY",
                                },
                                # a record already marked a duplicate of another key is not
                                # free to adopt
                                *(
                                    [
                                        {
                                            "propertyName": request.duplicate_of,
                                            "operator": "NOT_HAS_PROPERTY",
                                        }
                                    ]
                                    if request.duplicate_of
                                    else []
                                ),
                            ]
                        }
                    ],
                    "properties": [request.adopt_by, "createdate"],
                    "sorts": [{"propertyName": "createdate", "direction": "ASCENDING"}],
                    "limit": 200,
                }
                if after:
                    body["after"] = after
                response = self._post(
                    f"/objects/{request.object}/search",
                    f"HubSpot search {request.object} by {request.adopt_by}",
                    body,
                    self.search_pacer,
                )
                if response.status_code >= 400:
                    category, message = _hs_error(response)
                    raise DestinationError(
                        f"HubSpot search {request.object}: HTTP {response.status_code} "
                        f"{category}: {message}"
                    )
                page = response.json()
                for item in page.get("results") or []:
                    props = item.get("properties") or {}
                    value = _norm(props.get(request.adopt_by))
                    stamp = str(props.get("createdate") or item.get("createdAt") or "")
                    hs_id = str(item["id"])
                    rank = (stamp, int(hs_id) if hs_id.isdigit() else 0, hs_id)
                    if value:
                        found.setdefault(value, {})[hs_id] = rank
                after = ((page.get("paging") or {}).get("next") or {}).get("after")
                if not after:
                    break
        return {
            value: [rank[2] for rank in sorted(ranks.values())] for value, ranks in found.items()
        }

    # -- writes ----------------------------------------------------------------------------
    def write(self, request: WriteRequest) -> Iterator[BatchResult]:
        """Records revloop wrote before (updates, clears, adoptions) go by `batch/update`, by
        record id (or by the unique key when no id is stored): it never creates, so a contact
        deleted in the portal stays deleted. Only new records go by `batch/upsert`."""
        size = min(request.batch_size, MAX_BATCH)
        by_id = [r for r in request.records if r.action != "create" or r.destination_id]
        new = [r for r in request.records if not (r.action != "create" or r.destination_id)]
        for start in range(0, len(by_id), size):
            chunk = by_id[start : start + size]
            what = f"HubSpot update {request.object} batch {start // size + 1}"
            results = self._send(request, chunk, what, update=True)
            for r in results:
                if DUPLICATE_MARK in r.key:  # a pointer on a duplicate: never "gone" state
                    r.duplicate_of = r.key.split(DUPLICATE_MARK, 1)[0]
                    r.gone = False
            yield BatchResult(results, "rest")
        for start in range(0, len(new), size):
            chunk = new[start : start + size]
            what = f"HubSpot upsert {request.object} batch {start // size + 1}"
            yield BatchResult(self._send(request, chunk, what, update=False), "rest")

    def _inputs(self, request: WriteRequest, chunk: list[OutboundRecord], update: bool) -> list:
        inputs = []
        for rec in chunk:
            item: dict[str, Any] = {"objectWriteTraceId": rec.key}
            if update and rec.destination_id:
                item["id"] = rec.destination_id
            else:
                item["id"] = rec.key
                item["idProperty"] = request.external_id
            # a record new to revloop has nothing of ours to clear: empty values are left
            # out; on updates/clears they are sent as "" (HubSpot's clear)
            item["properties"] = {
                k: _hs_value(v)
                for k, v in rec.fields.items()
                if v is not None or rec.action != "create"
            }
            inputs.append(item)
        return inputs

    def _send(
        self, request: WriteRequest, chunk: list[OutboundRecord], what: str, update: bool
    ) -> list[RecordResult]:
        if not chunk:
            return []
        verb = "update" if update else "upsert"
        response = self._post(
            f"/objects/{request.object}/batch/{verb}",
            what,
            {"inputs": self._inputs(request, chunk, update)},
        )
        category, message = _hs_error(response) if response.status_code >= 400 else ("", "")
        if update and response.status_code in (400, 404) and category == "OBJECT_NOT_FOUND":
            named = {str(v) for v in ((response.json().get("context") or {}).get("ids") or [])}
            gone = [r for r in chunk if (r.destination_id or r.key) in named]
            if not gone and len(chunk) == 1:
                gone = chunk
            if gone:
                rest = [r for r in chunk if r not in gone]
                log.info("%s: %d record(s) no longer in HubSpot, dropped", what, len(gone))
                return [
                    RecordResult(r.key, False, r.destination_id, None, category, message, gone=True)
                    for r in gone
                ] + self._send(request, rest, what + "'", update)
        if _record_level(response.status_code, category, message):
            if len(chunk) == 1:
                return [RecordResult(chunk[0].key, False, None, None, category, message)]
            mid = len(chunk) // 2
            log.info(
                "%s: HTTP %d %s, bisecting %d records",
                what,
                response.status_code,
                category,
                len(chunk),
            )
            return self._send(request, chunk[:mid], what + "a", update) + self._send(
                request, chunk[mid:], what + "b", update
            )
        if response.status_code >= 400:
            raise DestinationError(f"{what}: HTTP {response.status_code} {category}: {message}")
        return _map_results(request.external_id, chunk, response.json())

    def _respect_headers(self, response: requests.Response) -> None:
        """Sleep out the window when HubSpot says none are left (before the next call 429s)."""
        remaining = response.headers.get("X-HubSpot-RateLimit-Remaining")
        interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
        if remaining is not None and interval:
            try:
                if int(remaining) <= 0:
                    time.sleep(min(float(interval) / 1000.0, 10.0))
            except ValueError:
                pass
        daily = response.headers.get("X-HubSpot-RateLimit-Daily-Remaining")
        if daily is not None and daily.strip() == "0":
            raise DestinationRateLimited(
                "HubSpot daily API limit reached; stopped cleanly, resumes on the next run"
            )


_KIND = {
    "string": "text",
    "enumeration": "text",
    "phone_number": "text",
    "number": "number",
    "bool": "boolean",
    "date": "date",
    "datetime": "datetime",
}


def _norm(value: Any) -> str:
    """Adoption values compare like HubSpot search does: trimmed, case-insensitive."""
    return str(value).strip().lower() if value not in (None, "") else ""


def _hs_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _hs_error(response: requests.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP_{response.status_code}", response.text[:200]
    if isinstance(body, dict):
        return str(body.get("category") or f"HTTP_{response.status_code}"), str(
            body.get("message", "")
        )
    return f"HTTP_{response.status_code}", str(body)[:200]


def _map_results(id_property: str, chunk: list[OutboundRecord], body: dict) -> list:
    """Per-record outcome from a 200/207 body; a record neither confirmed nor named in an
    error is reported failed so it is retried, never silently marked synced."""
    wanted = {rec.key: rec for rec in chunk}
    folded = {rec.key.lower(): rec.key for rec in chunk}
    # updates by record id: the answer's id names the record even when it echoes neither the
    # trace id nor our key (a duplicate pointer carries no key at all)
    by_hs_id = {rec.destination_id: rec.key for rec in chunk if rec.destination_id}
    out: dict[str, RecordResult] = {}
    for item in body.get("results") or []:
        props = item.get("properties") or {}
        candidate = item.get("objectWriteTraceId") or props.get(id_property)
        key = candidate if candidate in wanted else folded.get(str(candidate or "").lower())
        if key is None or key in out:
            key = by_hs_id.get(str(item.get("id")), key)
        if key is not None:
            out[key] = RecordResult(key, True, str(item.get("id")), item.get("new"))
    first_error: tuple[str, str] | None = None
    for err in body.get("errors") or []:
        category = str(err.get("category") or "ERROR")
        message = str(err.get("message") or "")
        first_error = first_error or (category, message)
        context = err.get("context") or {}
        named: list[str] = []
        for field in ("objectWriteTraceId", "ids", "id", id_property):
            value = context.get(field)
            if isinstance(value, list):
                named.extend(str(v) for v in value)
            elif value is not None:
                named.append(str(value))
        if err.get("objectWriteTraceId"):
            named.append(str(err["objectWriteTraceId"]))
        for candidate in named:
            key = candidate if candidate in wanted else folded.get(candidate.lower())
            if key is not None and key not in out:
                out[key] = RecordResult(key, False, None, None, category, message)
    category, message = first_error or ("NO_RESULT", "HubSpot returned no result for this record")
    return [
        out.get(rec.key) or RecordResult(rec.key, False, None, None, category, message)
        for rec in chunk
    ]
