"""Incremental Marketo extract over the Bulk Extract API into ``marketo/{leads,activities}/``.

The files are the export files themselves (CSV, ``null`` for an empty field, ``attributes`` as
a JSON object), so the loaders read exactly what Marketo hands out. The flow follows the
vendor's documentation (experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/
bulk-extract):

* OAuth client credentials: ``POST <base>/identity/oauth/token`` (the id and secret go in the
  form body, never in a URL that could be logged); the access token is sent as
  ``Authorization: Bearer`` (Marketo is removing the ``access_token`` query parameter),
  refreshed before it expires or when a call answers ``601``/``602``, and never logged.
* One job per window of at most 31 days (the API's limit on a ``createdAt``/``updatedAt``
  filter): ``create`` → ``enqueue`` → poll ``status`` until ``Completed`` → ``file``. At most
  two jobs are in flight at once (Marketo processes two, and its queue is shared with every
  other integration of the instance).
* The file is streamed to ``.<name>.part`` and resumed with ``Range: bytes=<have>-`` after a
  dropped connection; it is checked against the job's ``fileSize`` and SHA-256
  ``fileChecksum`` before it is renamed into place (so the loader never sees half a file).
* Leads are incremental by ``updatedAt`` (falling back to ``createdAt`` where the instance
  does not support that filter, error ``1035``), activities by ``createdAt``; the high-water
  mark per entity lives in ``marketo/_extract_state.json`` and advances only after every window
  of a run arrived.

Transient failures (HTTP 429/5xx, timeouts, dropped connections, Marketo ``606``/``615``/
``1029 Too many jobs in queue``) are retried with exponential backoff and jitter.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from connectors.contracts import load_contracts

log = logging.getLogger(__name__)

STATE_FILE = "_extract_state.json"
MAX_WINDOW = timedelta(days=31)
MAX_JOBS_IN_FLIGHT = 2
DEFAULT_LOOKBACK = timedelta(days=730)
RETRY_STATUSES = {429, 500, 502, 503, 504}
RETRY_CODES = {"606", "608", "611", "615", "713", "1029"}  # rate, busy, queue full
TOKEN_CODES = {"601", "602"}  # invalid / expired access token
ENTITIES = ("leads", "activities")


class MarketoError(RuntimeError):
    """Marketo refused a request in a way retrying will not fix."""


class MarketoAuthError(MarketoError):
    """The client credentials were refused."""


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @property
    def name(self) -> str:
        return f"{self.start:%Y%m%dT%H%M%SZ}-{self.end:%Y%m%dT%H%M%SZ}"


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def windows(start: datetime, end: datetime, size: timedelta = MAX_WINDOW) -> list[Window]:
    """[start, end] cut into windows of at most ``size`` (consecutive, no gaps)."""
    out = []
    cursor = start
    while cursor < end:
        nxt = min(cursor + size, end)
        out.append(Window(cursor, nxt))
        cursor = nxt
    return out


def contract_fields(entity: str) -> list[str]:
    """The fields the loader's contract names, in the contract's order."""
    [contract] = [c for c in load_contracts("marketo") if c.entity == entity]
    return contract.column_names


class MarketoClient:
    """Just enough of Marketo's REST and Bulk Extract API, with token refresh and retries."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        max_retries: int = 6,
        backoff_base: float = 0.5,
        backoff_cap: float = 60.0,
        timeout: float = 120.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        download_chunk_bytes: int = 1 << 20,
    ) -> None:
        """``sleep`` waits between attempts (tests pass one that records the delays).
        ``download_chunk_bytes``: a dropped download resumes after the last whole chunk
        written (the chunk being read when the socket broke is fetched again by Range)."""
        self.base_url = base_url.rstrip("/")
        self.sleep = sleep
        self._client_id = client_id
        self._client_secret = client_secret
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.timeout = timeout
        self.session = session or requests.Session()
        self.download_chunk_bytes = download_chunk_bytes
        self._token: str | None = None
        self._token_expires = 0.0
        self.calls = 0

    def __repr__(self) -> str:  # never show credentials or the token
        return f"MarketoClient({self.base_url!r})"

    def _sleep(self, attempt: int) -> None:
        delay = min(self.backoff_cap, self.backoff_base * 2**attempt)
        self.sleep(delay * (0.5 + random.random() / 2))

    def _authenticate(self) -> None:
        for attempt in range(self.max_retries + 1):
            try:
                response = self.session.post(
                    f"{self.base_url}/identity/oauth/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": self._client_id,
                        "client_secret": self._client_secret,
                    },
                    timeout=self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == self.max_retries:
                    raise MarketoError(f"identity endpoint unreachable: {exc}") from exc
                self._sleep(attempt)
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.max_retries:
                self._sleep(attempt)
                continue
            if response.status_code in (400, 401, 403):
                raise MarketoAuthError(
                    f"Marketo refused the client credentials (HTTP {response.status_code}): "
                    "check MARKETO_CLIENT_ID / MARKETO_CLIENT_SECRET"
                )
            response.raise_for_status()
            body = response.json()
            self._token = body["access_token"]
            self._token_expires = time.monotonic() + float(body.get("expires_in", 3600)) - 60
            log.info("Marketo access token obtained (valid %s s)", body.get("expires_in"))
            return
        raise MarketoError("could not obtain a Marketo access token")

    def _headers(self) -> dict[str, str]:
        if self._token is None or time.monotonic() >= self._token_expires:
            self._authenticate()
        return {"Authorization": f"Bearer {self._token}"}

    def call(self, method: str, path: str, *, json_body: Any = None) -> dict:
        """A REST/bulk JSON call; returns the body of a ``success: true`` answer."""
        for attempt in range(self.max_retries + 1):
            try:
                self.calls += 1
                response = self.session.request(
                    method,
                    f"{self.base_url}{path}",
                    json=json_body,
                    headers=self._headers(),
                    timeout=self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == self.max_retries:
                    raise MarketoError(f"{method} {path}: {exc}") from exc
                self._sleep(attempt)
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.max_retries:
                self._sleep(attempt)
                continue
            if response.status_code >= 400:
                raise MarketoError(f"{method} {path}: HTTP {response.status_code}")
            body = response.json()
            if body.get("success"):
                return body
            errors = body.get("errors") or []
            codes = {str(e.get("code")) for e in errors}
            if codes & TOKEN_CODES and attempt < self.max_retries:
                self._token = None  # expired or revoked: a new one, then the same call again
                continue
            if codes & RETRY_CODES and attempt < self.max_retries:
                if "1029" in codes and any(
                    "quota" in str(e.get("message", "")).lower() for e in errors
                ):
                    break  # the daily export quota: retrying today will not help
                self._sleep(attempt)
                continue
            raise MarketoApiError(method, path, errors)
        raise MarketoError(f"{method} {path}: gave up after {self.max_retries} retries: {body}")

    def download(self, path: str, target: Path, size: int | None, checksum: str | None) -> int:
        """Stream a bulk file into ``target`` (resuming with ``Range`` after a drop), check
        its size and checksum, return the bytes written."""
        part = target.with_name(f".{target.name}.part")
        part.unlink(missing_ok=True)
        have = 0
        for attempt in range(self.max_retries + 1):
            headers = self._headers()
            if have:
                headers["Range"] = f"bytes={have}-"
            try:
                self.calls += 1
                with self.session.get(
                    f"{self.base_url}{path}", headers=headers, stream=True, timeout=self.timeout
                ) as response:
                    if response.status_code in RETRY_STATUSES:
                        raise requests.ConnectionError(f"HTTP {response.status_code}")
                    if response.status_code not in (200, 206):
                        raise MarketoError(f"GET {path}: HTTP {response.status_code}")
                    if have and response.status_code == 200:  # Range ignored: start over
                        have = 0
                        part.unlink(missing_ok=True)
                    with part.open("ab") as fh:
                        for chunk in response.iter_content(chunk_size=self.download_chunk_bytes):
                            fh.write(chunk)
                            have += len(chunk)
                if size is None or have >= size:
                    break
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                if attempt == self.max_retries:
                    raise MarketoError(
                        f"GET {path}: download broke at {have} bytes: {exc}"
                    ) from exc
                log.info("download of %s broke at %d bytes; resuming", path, have)
                self._sleep(attempt)
        if size is not None and have != size:
            raise MarketoError(f"GET {path}: got {have} bytes, the job said {size}")
        if checksum:
            algo, _, expected = checksum.partition(":")
            if algo.lower() == "sha256" and expected:
                digest = hashlib.sha256(part.read_bytes()).hexdigest()
                if digest != expected:
                    raise MarketoError(f"GET {path}: checksum {digest} != job's {expected}")
        os.replace(part, target)
        return have

    def lead_fields(self) -> set[str] | None:
        """Field names the instance has (REST name), or None when describe is unavailable."""
        try:
            body = self.call("GET", "/rest/v1/leads/describe.json")
        except MarketoError as exc:
            log.info("leads/describe unavailable (%s); requesting the contract's fields", exc)
            return None
        return {(f.get("rest") or {}).get("name") for f in body.get("result", [])} - {None}


class MarketoApiError(MarketoError):
    """A ``success: false`` answer with Marketo's error codes."""

    def __init__(self, method: str, path: str, errors: list[dict]) -> None:
        self.codes = {str(e.get("code")) for e in errors}
        text = "; ".join(f"{e.get('code')} {e.get('message')}" for e in errors)
        super().__init__(f"{method} {path}: {text}")


def _load_state(out_dir: Path) -> dict[str, str]:
    path = out_dir / "marketo" / STATE_FILE
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return {}


def _save_state(out_dir: Path, state: dict[str, str]) -> None:
    path = out_dir / "marketo" / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


@dataclass
class _Job:
    entity: str
    window: Window
    export_id: str


def _create(
    client: MarketoClient, entity: str, fields: list[str], window: Window, lead_filter: str
) -> str:
    # Marketo compares whole seconds and a window includes both ends: end one second before
    # the next window starts, so no record is exported twice and none is skipped.
    flt: dict[str, Any] = {
        (lead_filter if entity == "leads" else "createdAt"): {
            "startAt": _iso(window.start),
            "endAt": _iso(window.end - timedelta(seconds=1)),
        }
    }
    body = client.call(
        "POST",
        f"/bulk/v1/{entity}/export/create.json",
        json_body={"fields": fields, "format": "CSV", "filter": flt},
    )
    export_id = body["result"][0]["exportId"]
    client.call("POST", f"/bulk/v1/{entity}/export/{export_id}/enqueue.json")
    return export_id


def extract_marketo(
    out_dir: Path,
    base_url: str,
    client_id: str,
    client_secret: str,
    *,
    entities: tuple[str, ...] = ENTITIES,
    since: datetime | None = None,
    until: datetime | None = None,
    poll_seconds: float = 30.0,
    job_timeout_seconds: float = 3 * 3600,
    client: MarketoClient | None = None,
) -> dict[str, dict[str, int]]:
    """Pull every window since the last mark (or ``since``, default two years) up to
    ``until`` (default now) for each entity; returns ``{entity: {"files", "records"}}``.

    Every argument is explicit: the caller (the CLI) reads ``MARKETO_*`` from the
    environment; this function never does.
    """
    out_dir = Path(out_dir)
    until = (until or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    client = client or MarketoClient(base_url, client_id, client_secret)
    state = _load_state(out_dir)
    summary: dict[str, dict[str, int]] = {}
    available = client.lead_fields() if "leads" in entities else None
    lead_filter = "updatedAt"
    for entity in entities:
        if entity not in ENTITIES:
            raise ValueError(f"unknown Marketo entity {entity!r}; known: {ENTITIES}")
        fields = contract_fields(entity)
        if entity == "leads" and available is not None:
            missing = [f for f in fields if f not in available]
            [contract] = [c for c in load_contracts("marketo") if c.entity == "leads"]
            omittable = {col.name for col in contract.columns if not col.must_be_present}
            required_missing = [f for f in missing if f not in omittable]
            if required_missing:
                raise MarketoError(
                    f"the instance has no lead field(s) {required_missing} the loader's "
                    "contract requires (connectors/contracts/marketo/leads.yml)"
                )
            fields = [f for f in fields if f not in missing]
        mark = state.get(entity)
        start = (
            datetime.fromisoformat(mark.replace("Z", "+00:00"))
            if mark
            else (since or until - DEFAULT_LOOKBACK)
        ).astimezone(UTC)
        todo = windows(start, until)
        folder = out_dir / "marketo" / entity
        folder.mkdir(parents=True, exist_ok=True)
        files = records = 0
        in_flight: list[_Job] = []
        deadline = time.monotonic() + job_timeout_seconds
        while todo or in_flight:
            while todo and len(in_flight) < MAX_JOBS_IN_FLIGHT:
                window = todo.pop(0)
                try:
                    export_id = _create(client, entity, fields, window, lead_filter)
                except MarketoApiError as exc:
                    if entity == "leads" and lead_filter == "updatedAt" and "1035" in exc.codes:
                        log.warning("updatedAt filter unsupported here; leads by createdAt")
                        lead_filter = "createdAt"
                        export_id = _create(client, entity, fields, window, lead_filter)
                    else:
                        raise
                in_flight.append(_Job(entity, window, export_id))
            delay = 0.05
            finished: _Job | None = None
            while finished is None:
                for job in in_flight:
                    body = client.call(
                        "GET", f"/bulk/v1/{entity}/export/{job.export_id}/status.json"
                    )
                    info = body["result"][0]
                    if info["status"] == "Completed":
                        finished = job
                        break
                    if info["status"] in ("Failed", "Cancelled"):
                        raise MarketoError(
                            f"{entity} export {job.export_id} for {job.window.name} ended "
                            f"{info['status']}: {info.get('errorMsg', '')}"
                        )
                if finished is None:
                    if time.monotonic() > deadline:
                        raise MarketoError(f"{entity} export jobs did not finish in time")
                    time.sleep(delay)
                    delay = min(delay * 2, poll_seconds)
            in_flight.remove(finished)
            target = folder / f"{finished.window.name}.csv"
            client.download(
                f"/bulk/v1/{entity}/export/{finished.export_id}/file.json",
                target,
                info.get("fileSize"),
                info.get("fileChecksum"),
            )
            files += 1
            records += int(info.get("numberOfRecords") or 0)
            log.info(
                "marketo %s %s: %s records",
                entity,
                finished.window.name,
                info.get("numberOfRecords"),
            )
        state[entity] = _iso(until)
        _save_state(out_dir, state)
        summary[entity] = {"files": files, "records": records}
    return summary
