"""HubSpot destination: CRM v3 batch upsert by a unique `idProperty`, ≤ 100 inputs per call.

- `POST /crm/v3/objects/{type}/batch/upsert`; 200 = all written, 207 = multi-status with
  `results` and `errors`. Each input carries `objectWriteTraceId` = our record key so results
  and errors map back to records without relying on order.
- A batch refused as a whole (409 conflict, or 400 validation naming one input) is bisected
  until the bad record is isolated: the good ones are written, the bad one is rejected with
  HubSpot's category and message.
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
from collections.abc import Iterator
from typing import Any

import requests

from reverse_etl.destinations.base import BatchResult, OutboundRecord, RecordResult, WriteRequest
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


def _record_level(status: int, message: str) -> bool:
    """A whole-batch refusal caused by one input (bisect it), not by the request itself.

    409: a unique value already held by another object. 400 "Duplicate IDs": two inputs fold
    to the same key. Any other 400 (bad idProperty, malformed body) would fail every half
    too, so it stops the sync instead of costing 2n-1 calls.
    """
    return status == 409 or (status == 400 and "duplicate id" in message.lower())


class RequestPacer:
    """Sliding-window limiter: at most `max_requests` starts per `window` seconds."""

    def __init__(self, max_requests: int = 190, window: float = 10.0) -> None:
        self.max_requests = max_requests
        self.window = window
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
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
                    time.sleep(pause)
                self._starts.popleft()
            self._starts.append(time.monotonic())


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
        self._calls = [0]

    def __repr__(self) -> str:  # never show the token
        return f"HubSpotDestination({self.base!r})"

    @property
    def api_calls(self) -> int:
        return self._calls[0]

    def write(self, request: WriteRequest) -> Iterator[BatchResult]:
        size = min(request.batch_size, MAX_BATCH)
        for start in range(0, len(request.records), size):
            chunk = request.records[start : start + size]
            what = f"HubSpot upsert {request.object} batch {start // size + 1}"
            yield BatchResult(self._upsert(request, chunk, what), "rest")

    def _upsert(self, request: WriteRequest, chunk: list[OutboundRecord], what: str) -> list:
        inputs = [
            {
                "id": rec.key,
                "idProperty": request.external_id,
                "objectWriteTraceId": rec.key,
                # a record new to revloop has nothing of ours to clear: empty values are
                # left out; on updates/clears they are sent as "" (HubSpot's clear)
                "properties": {
                    k: _hs_value(v)
                    for k, v in rec.fields.items()
                    if v is not None or rec.action != "create"
                },
            }
            for rec in chunk
        ]
        self.pacer.wait()
        response = send_with_retry(
            self.session,
            "POST",
            f"{self.base}/crm/v3/objects/{request.object}/batch/upsert",
            self.retry,
            what=what,
            counter=self._calls,
            json={"inputs": inputs},
        )
        self._respect_headers(response)
        if response.status_code == 401:
            raise DestinationAuthError(
                f"{what}: HubSpot rejected the access token (401); set a valid "
                "HUBSPOT_ACCESS_TOKEN and re-run"
            )
        category, message = _hs_error(response) if response.status_code >= 400 else ("", "")
        if _record_level(response.status_code, message):
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
            return self._upsert(request, chunk[:mid], what + "a") + self._upsert(
                request, chunk[mid:], what + "b"
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
    out: dict[str, RecordResult] = {}
    for item in body.get("results") or []:
        props = item.get("properties") or {}
        candidate = item.get("objectWriteTraceId") or props.get(id_property)
        key = candidate if candidate in wanted else folded.get(str(candidate or "").lower())
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
