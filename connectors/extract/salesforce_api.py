"""Incremental Salesforce extract over REST (SOQL) into ``salesforce/<Object>/<ts>-<page>.json``.

Each query page is written verbatim, so the loaders see exactly what an export gives. Per
object a high-water mark is kept in ``<out_dir>/salesforce/_extract_state.json``:

* objects whose contract lists ``SystemModstamp`` (Account, Contact, Lead, Opportunity) are
  pulled with ``WHERE SystemModstamp > <mark>`` through ``queryAll`` so deletions arrive as
  ``IsDeleted = true`` rows;
* history objects and others without ``SystemModstamp`` in their contract (LeadHistory,
  OpportunityHistory, OpportunityContactRole, Task, Event, CampaignMember) are incremental by
  ``CreatedDate`` (history rows never change; edits to the others after creation are picked
  up only by a full pull, i.e. deleting their entry from the state file);
* objects with neither (User, Campaign) are pulled in full every run (they are small).

Transient failures (5xx, timeouts, dropped connections, 429 with ``Retry-After``, and
Salesforce's own rate signal, 403 ``REQUEST_LIMIT_EXCEEDED`` for a *concurrent*-request limit,
which Salesforce sends without ``Retry-After``) are retried with exponential backoff and
jitter; the daily limit (403 ``REQUEST_LIMIT_EXCEEDED`` "TotalRequests") and a 401 raise at
once, since retrying will not fix them. The token is sent as a bearer header and never
logged.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from connectors.contracts import Contract, load_contracts

log = logging.getLogger(__name__)

STATE_FILE = "_extract_state.json"
RETRY_STATUSES = {429, 500, 502, 503, 504}


class SalesforceError(RuntimeError):
    """The Salesforce API refused a request in a way retrying will not fix."""


class SalesforceAuthError(SalesforceError):
    """401: the access token is missing, expired or revoked."""


@dataclass(frozen=True)
class ObjectSpec:
    """What to pull for one sObject and how to make it incremental."""

    name: str
    fields: tuple[str, ...]
    watermark: str | None  # SystemModstamp | CreatedDate | None (full pull)
    query_all: bool  # include deleted rows (the object has IsDeleted)


def object_specs(objects: list[str] | None = None) -> list[ObjectSpec]:
    """One spec per Salesforce contract (field list = contract columns)."""
    specs: dict[str, ObjectSpec] = {}
    for contract in load_contracts("salesforce"):
        name = _object_name(contract)
        cols = contract.column_names
        watermark = next((f for f in ("SystemModstamp", "CreatedDate") if f in cols), None)
        specs[name] = ObjectSpec(name, tuple(cols), watermark, "IsDeleted" in cols)
    if objects is None:
        return list(specs.values())
    unknown = sorted(set(objects) - set(specs))
    if unknown:
        raise ValueError(f"no contract for Salesforce object(s) {unknown}; known: {sorted(specs)}")
    return [specs[o] for o in objects]


def _object_name(contract: Contract) -> str:
    return contract.file_pattern.split("/")[1]


def soql_datetime(value: str) -> str:
    """``2026-03-02T01:04:05.000+0000`` → ``2026-03-02T01:04:05Z`` (a SOQL datetime literal)."""
    parsed = datetime.fromisoformat(value).astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_soql(spec: ObjectSpec, high_water: str | None) -> str:
    """``>=`` the mark, not ``>``: Salesforce compares datetimes to the second, so a record
    written later in the mark's own second would be missed by ``>``. The versions already
    pulled at the mark are dropped by :func:`extract_salesforce` (``seen_at_mark``)."""
    soql = f"SELECT {', '.join(spec.fields)} FROM {spec.name}"
    if spec.watermark and high_water:
        soql += f" WHERE {spec.watermark} >= {soql_datetime(high_water)}"
    if spec.watermark:
        soql += f" ORDER BY {spec.watermark}"
    return soql


class SalesforceClient:
    """GET with bearer auth and retries; just enough REST for SOQL paging."""

    def __init__(
        self,
        instance_url: str,
        token: str,
        api_version: str = "62.0",
        *,
        max_retries: int = 6,
        backoff_base: float = 0.5,
        backoff_cap: float = 60.0,
        timeout: float = 60.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``sleep`` waits between attempts (tests pass one that records the delays)."""
        self.instance_url = instance_url.rstrip("/")
        self.sleep = sleep
        self.api_version = api_version
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        )
        self.retries = 0  # total retries made, for reporting

    def _sleep_for(self, attempt: int, response: requests.Response | None) -> float:
        if response is not None and response.headers.get("Retry-After"):
            try:
                return min(float(response.headers["Retry-After"]), self.backoff_cap)
            except ValueError:
                pass  # an HTTP date: fall back to our own backoff
        delay = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return delay * (0.5 + random.random() / 2)  # jitter in [delay/2, delay]

    def get(self, path_or_url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        url = path_or_url if path_or_url.startswith("http") else self.instance_url + path_or_url
        for attempt in range(self.max_retries + 1):
            response: requests.Response | None = None
            try:
                response = self.session.get(url, params=params, timeout=self.timeout)
            except (requests.Timeout, requests.ConnectionError) as exc:
                problem = f"{type(exc).__name__}"
            else:
                if response.status_code == 401:
                    raise SalesforceAuthError(
                        f"401 Unauthorized from {self.instance_url}: the access token was "
                        "rejected (expired or revoked?); refresh SALESFORCE_ACCESS_TOKEN"
                    )
                if response.status_code < 400:
                    return response.json()
                if response.status_code == 403 and _concurrency_limited(response):
                    problem = "HTTP 403 REQUEST_LIMIT_EXCEEDED (concurrent requests)"
                elif response.status_code not in RETRY_STATUSES:
                    raise SalesforceError(
                        f"HTTP {response.status_code} from {url.split('?')[0]}: "
                        f"{response.text[:500]}"
                    )
                else:
                    problem = f"HTTP {response.status_code}"
            if attempt == self.max_retries:
                raise SalesforceError(
                    f"{problem} from {url.split('?')[0]} after {self.max_retries} retries; "
                    "try again later"
                )
            delay = self._sleep_for(attempt, response)
            self.retries += 1
            log.warning("%s from Salesforce; retry %d in %.2fs", problem, attempt + 1, delay)
            self.sleep(delay)
        raise AssertionError("unreachable")

    def query_pages(self, soql: str, query_all: bool):
        """Yield each page of a SOQL query, following ``nextRecordsUrl`` until ``done``."""
        endpoint = "queryAll" if query_all else "query"
        page = self.get(f"/services/data/v{self.api_version}/{endpoint}", params={"q": soql})
        yield page
        while not page.get("done", True):
            next_url = page.get("nextRecordsUrl")
            if not next_url:
                raise SalesforceError("page has done=false but no nextRecordsUrl")
            page = self.get(next_url)
            yield page


def _concurrency_limited(response: requests.Response) -> bool:
    """403 REQUEST_LIMIT_EXCEEDED for a concurrent-request limit (ConcurrentPerOrgLongTxn,
    ConcurrentRequests): clears in seconds, unlike TotalRequests (the daily API limit)."""
    text = response.text[:500]
    return "REQUEST_LIMIT_EXCEEDED" in text and "concurrent" in text.lower()


def _read_state(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def _write_json_atomic(path: Path, payload: dict[str, Any]) -> None:
    """Write beside the target under a dot-name (the loaders skip it), then rename."""
    tmp = path.with_name("." + path.name + ".part")
    tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def _version(record: dict[str, Any], spec: ObjectSpec) -> str:
    """One version of a record: its Id and watermark value."""
    return f"{record.get('Id')}@{record.get(spec.watermark) if spec.watermark else ''}"


def _unused_run_stamp(root: Path) -> str:
    """A UTC stamp for this run's file names that no earlier run used: a landed file is never
    rewritten, even when two pulls fall in the same second."""
    now = datetime.now(UTC)
    while True:
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        if not any(root.glob(f"*/{stamp}-*.json")):
            return stamp
        now += timedelta(seconds=1)


def extract_salesforce(
    out_dir: Path,
    instance_url: str,
    token: str,
    objects: list[str] | None = None,
    api_version: str = "62.0",
    *,
    client: SalesforceClient | None = None,
) -> dict[str, dict[str, Any]]:
    """Pull new/changed records of each object into ``<out_dir>/salesforce/<Object>/``.

    Returns per object ``{"records", "pages", "files", "soql", "high_water"}``. The state file
    advances only after every page of an object is on disk, so an interrupted run repeats
    (raw keeps every version and staging picks the newest, so a repeat is harmless).
    """
    out_dir = Path(out_dir)
    client = client or SalesforceClient(instance_url, token, api_version)
    state_path = out_dir / "salesforce" / STATE_FILE
    state_path.parent.mkdir(parents=True, exist_ok=True)
    state = _read_state(state_path)
    run_ts = _unused_run_stamp(out_dir / "salesforce")
    results: dict[str, dict[str, Any]] = {}
    for spec in object_specs(objects):
        previous = state.get(spec.name, {})
        high_water = previous.get("high_water") if previous.get("field") == spec.watermark else None
        soql = build_soql(spec, high_water)
        folder = out_dir / "salesforce" / spec.name
        files: list[str] = []
        records = 0
        newest = high_water
        seen = set(previous.get("seen_at_mark", [])) if high_water else set()
        at_mark: set[str] = set()
        number = 0
        for page in client.query_pages(soql, spec.query_all):
            rows = [r for r in page.get("records", []) if _version(r, spec) not in seen]
            if not rows:
                continue
            number += 1
            page = {**page, "records": rows}
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"{run_ts}-{number:04d}.json"
            _write_json_atomic(target, page)
            files.append(target.relative_to(out_dir).as_posix())
            records += len(rows)
            if spec.watermark:
                marks = [r[spec.watermark] for r in rows if r.get(spec.watermark)]
                if marks:
                    page_max = max(marks, key=soql_datetime)
                    if newest is None or soql_datetime(page_max) > soql_datetime(newest):
                        newest = page_max
                        at_mark = set()
                    at_mark |= {
                        _version(r, spec)
                        for r in rows
                        if r.get(spec.watermark)
                        and soql_datetime(r[spec.watermark]) == soql_datetime(newest)
                    }
        if spec.watermark and newest and files:
            if newest == high_water:
                at_mark |= seen
            state[spec.name] = {
                "field": spec.watermark,
                "high_water": newest,
                "seen_at_mark": sorted(at_mark),
                "extracted_at": run_ts,
            }
            _write_json_atomic(state_path, state)
        results[spec.name] = {
            "records": records,
            "pages": len(files),
            "files": files,
            "soql": soql,
            "high_water": newest,
        }
        log.info("Salesforce %s: %d record(s) in %d page(s)", spec.name, records, len(files))
    return results
