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
- Adoption reads the portal the cheaper way: it lists the object's records (the general
  limit, 100 a page) for as many pages as the search would need requests; when the list ends
  within that budget (an empty or small portal, a first sync) the matches are found in it,
  else the search runs. The search alone costs ⌈values / 100⌉ requests at CRM search's 4 per
  second; a list page counts against the ten-secondly limit instead, so listing costs at
  most about what searching would and a failed try at most doubles it.
- Pacing: at most 190 requests per rolling 10 s (HubSpot's private-app burst limit is 190 or
  more), plus honouring `X-HubSpot-RateLimit-Remaining: 0` and 429 `Retry-After`. Up to
  `max_in_flight` batch writes are in flight at once (default MAX_IN_FLIGHT): HubSpot limits
  the rate, not concurrency, and one request at a time leaves most of the rate unused when
  a round trip takes longer than 1/19 s (a real portal's takes 0.2–0.5 s). Results are
  yielded in batch order; a stopped sync waits for the batches in flight, whose results
  it does not record (they are re-sent, idempotently, next run).
- Empty values are sent as "" (HubSpot clears a property on an empty string), except on
  creates, where there is nothing to clear and the property is simply left out.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
# batch writes in flight at once: enough to use HubSpot's 19 requests a second at a real
# portal's round trip (0.2 s → about 4 in flight); the pacer still bounds the rate
MAX_IN_FLIGHT = 4
LIST_PAGE = 100  # GET objects/{type}: at most 100 records a page
SEARCH_VALUES = 100  # values in one search IN filter (HubSpot's limit)


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
    """Sliding-window limiter: at most `max_requests` requests per `window` seconds, counted
    the way the server cannot exceed.

    `wait()` before a request, `done()` after its answer (or failure). A finished request
    counts from when its answer came back, one in flight counts all along: the server saw
    it arrive before the answer, so whatever window the server counts by arrival holds at
    most what this one counts. (Counting by start stamps instead lets a request whose
    connection took longer arrive late and a later one early: with several in flight the
    server sees six in a window of five.)

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
        self._finished: deque[float] = deque()  # answer times inside the window, oldest first
        self._in_flight = 0
        self._lock = threading.Condition()

    def wait(self) -> None:
        with self._lock:
            while True:
                now = self._clock()
                while self._finished and now - self._finished[0] >= self.window:
                    self._finished.popleft()
                if len(self._finished) + self._in_flight < self.max_requests:
                    break
                if not self._finished:  # the window is full of requests in flight
                    self._lock.wait(timeout=self.window)
                    continue
                pause = self.window - (now - self._finished[0])
                log.info(
                    "HubSpot pacing: sleeping %.2fs to stay under %d req/%.0fs",
                    pause,
                    self.max_requests,
                    self.window,
                )
                self._lock.release()  # let the requests in flight report while we sleep
                try:
                    self._sleep(pause)
                finally:
                    self._lock.acquire()
            self._in_flight += 1

    def done(self) -> None:
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            self._finished.append(self._clock())
            self._lock.notify_all()

    def saturate(self) -> None:
        """The server says the window is full (`Remaining: 0`): count it full from here, so
        the next request waits until this pacer's oldest one leaves the window (a full
        window from now when it has none). Usually this pacer is full already, since it
        counts at least what the server does; it is not when another client of the same
        portal spends the limit too. (Sleeping a whole window instead, as before: 53.2 s
        for a first sync of 72,515 contacts into the sandbox, against 33.5 s.)"""
        with self._lock:
            missing = self.max_requests - len(self._finished) - self._in_flight
            if missing > 0:
                stamp = self._finished[0] if self._finished else self._clock()
                self._finished.extendleft([stamp] * missing)

    def follow(self, max_requests: int, window: float) -> bool:
        """Pace to the limit the server announces: the default is a guess (190 per 10 s is
        Professional and Enterprise; Free and Starter allow 100, a capacity pack 250), and
        with several requests in flight a `Remaining: 0` header arrives too late to stop the
        ones already sent. Returns whether the limit changed."""
        if max_requests <= 0 or window <= 0:
            return False
        with self._lock:
            if (max_requests, window) == (self.max_requests, self.window):
                return False
            self.max_requests, self.window = max_requests, window
            return True


class HubSpotDestination:
    """Writes records to one HubSpot portal over the CRM v3 API."""

    name = "hubspot"

    def __init__(
        self,
        base_url: str,
        token: str,
        retry: RetryPolicy | None = None,
        pacer: RequestPacer | None = None,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.session = make_session(token)
        self.retry = retry or RetryPolicy()
        self.pacer = pacer or RequestPacer()
        # CRM search has a limit of its own (a few requests per second per token)
        self.search_pacer = RequestPacer(4, 1.0)
        self.max_in_flight = max(1, max_in_flight)
        self._calls = [0]
        self._calls_lock = threading.Lock()
        # one requests.Session per sending thread (a Session is not documented thread-safe);
        # each copies self.session's headers, so the token lives in one place
        self._local = threading.local()

    def __repr__(self) -> str:  # never show the token
        return f"HubSpotDestination({self.base!r})"

    @property
    def api_calls(self) -> int:
        return self._calls[0]

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update(self.session.headers)
            self._local.session = session
        return session

    def _call(
        self, method: str, path: str, what: str, pacer: RequestPacer, **kwargs: Any
    ) -> requests.Response:
        """One paced request (retried by send_with_retry); its attempts are counted and the
        pacer told when it ended, whatever the outcome."""
        pacer.wait()
        attempts = [0]
        try:
            response = send_with_retry(
                self._session(),
                method,
                f"{self.base}/crm/v3{path}",
                self.retry,
                what=what,
                counter=attempts,
                **kwargs,
            )
        finally:
            pacer.done()
            with self._calls_lock:
                self._calls[0] += attempts[0]
        self._respect_headers(response, search=pacer is self.search_pacer)
        return response

    def _post(self, path: str, what: str, body: dict, pacer: RequestPacer | None = None):
        response = self._call("POST", path, what, pacer or self.pacer, json=body)
        if response.status_code == 401:
            raise DestinationAuthError(
                f"{what}: HubSpot rejected the access token (401); set a valid "
                "HUBSPOT_ACCESS_TOKEN (a private app token with the CRM scopes) and re-run"
            )
        return response

    def _get(self, path: str, what: str, **params: Any) -> requests.Response:
        response = self._call("GET", path, what, self.pacer, params=params)
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
            # as many list pages as the search would need requests (at least one: its first
            # page also says whether the portal holds any record of this object)
            budget = max(1, math.ceil(len(wanted) / SEARCH_VALUES))
            listed, empty = self._list_unkeyed(request, budget)
            if not wanted:
                matches = {}
            elif listed is not None:
                matches = {value: ids for value, ids in listed.items() if value in wanted}
            else:
                matches = self._search_unkeyed(request, list(wanted))
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
        creates = sum(1 for r in request.records if r.action == "create" and not r.destination_id)
        return Prepared(
            request,
            creates=creates,
            adopted=adopted,
            destination_empty=empty,
            duplicates=duplicates,
        )

    def _list_unkeyed(
        self, request: WriteRequest, max_pages: int
    ) -> tuple[dict[str, list[str]] | None, bool]:
        """(value -> ids of the records with that `adopt_by` value and no key, oldest first;
        whether the portal holds no record of the object) from listing the whole object, or
        (None, False) when the list goes on past `max_pages` pages (search instead).

        The same records the search selects: `adopt_by` set, `external_id` and
        `duplicate_of` not (empty counts as not set, as NOT_HAS_PROPERTY reads it), archived
        ones left out (the list's default)."""
        found: dict[str, dict[str, tuple[str, int, str]]] = {}
        wanted = [request.adopt_by, request.external_id, "createdate"]
        if request.duplicate_of:
            wanted.append(request.duplicate_of)
        after: str | None = None
        for page_number in range(1, max_pages + 1):
            params: dict[str, Any] = {"limit": LIST_PAGE, "properties": ",".join(wanted)}
            if after:
                params["after"] = after
            page = self._get(
                f"/objects/{request.object}",
                f"HubSpot list {request.object} page {page_number}",
                **params,
            ).json()
            results = page.get("results") or []
            if page_number == 1 and not results:
                return {}, True
            for item in results:
                props = item.get("properties") or {}
                if props.get(request.external_id) not in (None, ""):
                    continue
                if request.duplicate_of and props.get(request.duplicate_of) not in (None, ""):
                    continue
                value = _norm(props.get(request.adopt_by))
                if value:
                    hs_id = str(item["id"])
                    found.setdefault(value, {})[hs_id] = _age_rank(item, hs_id)
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return _oldest_first(found), False
        return None, False

    def _search_unkeyed(self, request: WriteRequest, values: list[str]) -> dict[str, list[str]]:
        """value -> ids of the portal records with that `adopt_by` value and no key, oldest
        first (createdate, then id): the first is adopted, the others are its duplicates."""
        found: dict[str, dict[str, tuple[str, int, str]]] = {}
        for start in range(0, len(values), SEARCH_VALUES):
            chunk = values[start : start + SEARCH_VALUES]
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
                    hs_id = str(item["id"])
                    if value:
                        found.setdefault(value, {})[hs_id] = _age_rank(item, hs_id)
                after = ((page.get("paging") or {}).get("next") or {}).get("after")
                if not after:
                    break
        return _oldest_first(found)

    # -- writes ----------------------------------------------------------------------------
    def write(self, request: WriteRequest) -> Iterator[BatchResult]:
        """Records revloop wrote before (updates, clears, adoptions) go by `batch/update`, by
        record id (or by the unique key when no id is stored): it never creates, so a contact
        deleted in the portal stays deleted. Only new records go by `batch/upsert`."""
        size = min(request.batch_size, MAX_BATCH)
        by_id = [r for r in request.records if r.action != "create" or r.destination_id]
        new = [r for r in request.records if not (r.action != "create" or r.destination_id)]
        jobs = [
            (by_id[start : start + size], f"HubSpot update {request.object} batch {n}", True)
            for n, start in enumerate(range(0, len(by_id), size), 1)
        ] + [
            (new[start : start + size], f"HubSpot upsert {request.object} batch {n}", False)
            for n, start in enumerate(range(0, len(new), size), 1)
        ]
        for results, update in self._in_flight(request, jobs):
            if update:
                for r in results:
                    if DUPLICATE_MARK in r.key:  # a pointer on a duplicate: never "gone" state
                        r.duplicate_of = r.key.split(DUPLICATE_MARK, 1)[0]
                        r.gone = False
            yield BatchResult(results, "rest")

    def _in_flight(
        self, request: WriteRequest, jobs: list[tuple[list[OutboundRecord], str, bool]]
    ) -> Iterator[tuple[list[RecordResult], bool]]:
        """Send `jobs` with up to `max_in_flight` in flight, yielding each one's results in
        job order. An error raised by a batch is raised here, in its turn; closing the
        generator (a stopped sync) cancels the batches not started and waits for those in
        flight."""
        pool = ThreadPoolExecutor(self.max_in_flight, thread_name_prefix="hubspot-write")
        pending: deque[tuple[Future, bool]] = deque()
        try:
            for chunk, what, update in jobs:
                if len(pending) >= self.max_in_flight:
                    future, was_update = pending.popleft()
                    yield future.result(), was_update
                pending.append((pool.submit(self._send, request, chunk, what, update), update))
            while pending:
                future, was_update = pending.popleft()
                yield future.result(), was_update
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

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

    def _respect_headers(self, response: requests.Response, search: bool = False) -> None:
        """Pace to the limit HubSpot announces (`X-HubSpot-RateLimit-Max` per
        `-Interval-Milliseconds`), and when it says none are left (`Remaining: 0`) start
        nothing before the pacer's oldest request leaves the window (before the next call
        429s). Not from a search answer, whose limit is its own."""
        remaining = response.headers.get("X-HubSpot-RateLimit-Remaining")
        interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
        announced = response.headers.get("X-HubSpot-RateLimit-Max")
        if announced and interval and not search:
            try:
                if self.pacer.follow(int(announced), float(interval) / 1000.0):
                    log.info(
                        "HubSpot allows %s requests per %s ms: pacing to that",
                        announced,
                        interval,
                    )
            except ValueError:
                pass
        if remaining is not None and interval and not search:
            try:
                if int(remaining) <= 0:
                    self.pacer.saturate()
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


def _age_rank(item: dict, hs_id: str) -> tuple[str, int, str]:
    """Oldest first: createdate, then the numeric id (the adoption survivor's order)."""
    props = item.get("properties") or {}
    stamp = str(props.get("createdate") or item.get("createdAt") or "")
    return (stamp, int(hs_id) if hs_id.isdigit() else 0, hs_id)


def _oldest_first(found: dict[str, dict[str, tuple[str, int, str]]]) -> dict[str, list[str]]:
    return {value: [rank[2] for rank in sorted(ranks.values())] for value, ranks in found.items()}


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
