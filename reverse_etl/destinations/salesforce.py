"""Salesforce destination: sObject Collections for small change sets, Bulk API 2.0 for big ones.

- Collections (`PATCH /composite/sobjects/{Object}/{ExternalIdField}`, ≤ 200 records, allOrNone
  false) returns one result per record in request order. Salesforce does not allow the record
  `Id` as the external id of a collection upsert, so syncs keyed by `Id` (records that already
  exist) use the collection update `PATCH /composite/sobjects` with `Id` in each record.
- Bulk API 2.0 ingest (create job → upload CSV → UploadComplete → poll → successful/failed
  results) above `bulk_threshold` rows: a handful of calls instead of ⌈n/200⌉.
- `REQUEST_LIMIT_EXCEEDED` stops the sync cleanly (state kept, resume next run); 401
  `INVALID_SESSION_ID` raises `DestinationAuthError`; transient failures retry with backoff.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import requests

from reverse_etl.destinations.base import BatchResult, RecordResult, WriteRequest
from reverse_etl.destinations.http import (
    DestinationAuthError,
    DestinationError,
    DestinationRateLimited,
    RetryPolicy,
    make_session,
    send_with_retry,
)

log = logging.getLogger(__name__)

MAX_COLLECTION = 200
BULK_MAX_ROWS = 100_000
BULK_NULL = "#N/A"
BULK_DONE = {"JobComplete", "Failed", "Aborted"}


class SalesforceDestination:
    """Writes records to one Salesforce org over the REST API."""

    name = "salesforce"

    def __init__(
        self,
        instance_url: str,
        token: str,
        api_version: str = "62.0",
        retry: RetryPolicy | None = None,
        bulk_poll_timeout: float = 900.0,
    ) -> None:
        self.base = f"{instance_url.rstrip('/')}/services/data/v{api_version}"
        self.session = make_session(token)
        self.retry = retry or RetryPolicy()
        self.bulk_poll_timeout = bulk_poll_timeout
        self._calls = [0]

    def __repr__(self) -> str:  # never show the token
        return f"SalesforceDestination({self.base!r})"

    @property
    def api_calls(self) -> int:
        return self._calls[0]

    def write(self, request: WriteRequest) -> Iterator[BatchResult]:
        if len(request.records) >= request.bulk_threshold:
            # one job per BULK_MAX_ROWS keeps each CSV upload far below the 100 MB cap
            for start in range(0, len(request.records), BULK_MAX_ROWS):
                part = request.records[start : start + BULK_MAX_ROWS]
                yield self._bulk(replace(request, records=part))
            return
        size = min(request.batch_size, MAX_COLLECTION)
        for start in range(0, len(request.records), size):
            chunk = request.records[start : start + size]
            yield self._collection(request, chunk, start // size + 1)

    # -- sObject Collections -------------------------------------------------------------
    def _collection(self, request: WriteRequest, chunk: list, number: int) -> BatchResult:
        by_id = request.external_id == "Id"
        what = f"Salesforce {'update' if by_id else 'upsert'} {request.object} batch {number}"
        records = []
        for rec in chunk:
            body: dict[str, Any] = {"attributes": {"type": request.object}}
            body[request.external_id] = rec.key
            body.update(rec.fields)
            records.append(body)
        if by_id:
            url = f"{self.base}/composite/sobjects"
        else:
            url = f"{self.base}/composite/sobjects/{request.object}/{request.external_id}"
        response = send_with_retry(
            self.session,
            "PATCH",
            url,
            self.retry,
            what=what,
            counter=self._calls,
            json={"allOrNone": False, "records": records},
        )
        self._raise_for_request_error(response, what)
        payload = response.json()
        if not isinstance(payload, list) or len(payload) != len(chunk):
            raise DestinationError(
                f"{what}: expected {len(chunk)} per-record results, got "
                f"{len(payload) if isinstance(payload, list) else type(payload).__name__}"
            )
        results = []
        for rec, item in zip(chunk, payload, strict=True):
            if item.get("success"):
                results.append(RecordResult(rec.key, True, item.get("id"), item.get("created")))
            else:
                errors = item.get("errors") or [{}]
                code = errors[0].get("statusCode") or errors[0].get("errorCode") or "UNKNOWN"
                if code == "REQUEST_LIMIT_EXCEEDED":
                    raise DestinationRateLimited(
                        f"{what}: REQUEST_LIMIT_EXCEEDED; stopped cleanly, resumes next run"
                    )
                message = "; ".join(str(e.get("message", "")) for e in errors)
                results.append(RecordResult(rec.key, False, item.get("id"), None, code, message))
        return BatchResult(results, "rest")

    def _raise_for_request_error(self, response: requests.Response, what: str) -> None:
        """Turn a request-level failure into the exception that says what to do."""
        if response.status_code < 400:
            return
        code, message = _sf_error(response)
        if response.status_code == 401 or code == "INVALID_SESSION_ID":
            raise DestinationAuthError(
                f"{what}: Salesforce rejected the access token (401 {code}); set a valid "
                "SALESFORCE_ACCESS_TOKEN and re-run"
            )
        if code == "REQUEST_LIMIT_EXCEEDED":
            raise DestinationRateLimited(
                f"{what}: REQUEST_LIMIT_EXCEEDED ({message}); stopped cleanly, state kept, "
                "resumes on the next run"
            )
        raise DestinationError(f"{what}: HTTP {response.status_code} {code}: {message}")

    # -- Bulk API 2.0 ----------------------------------------------------------------------
    def _bulk(self, request: WriteRequest) -> BatchResult:
        by_id = request.external_id == "Id"
        what = f"Salesforce Bulk API 2.0 {request.object} ({len(request.records)} rows)"
        columns = [request.external_id] + sorted({f for rec in request.records for f in rec.fields})
        job_spec: dict[str, Any] = {
            "object": request.object,
            "operation": "update" if by_id else "upsert",
            "contentType": "CSV",
            "lineEnding": "LF",
            "columnDelimiter": "COMMA",
        }
        if not by_id:
            job_spec["externalIdFieldName"] = request.external_id
        resp = self._call("POST", f"{self.base}/jobs/ingest", what + " create job", json=job_spec)
        job_id = resp.json()["id"]
        job_url = f"{self.base}/jobs/ingest/{job_id}"
        self._call(
            "PUT",
            f"{job_url}/batches",
            what + " upload",
            data=_to_csv(columns, request).encode(),
            headers={"Content-Type": "text/csv"},
        )
        self._call("PATCH", job_url, what + " close", json={"state": "UploadComplete"})
        state, message = self._poll(job_url, what)
        if state != "JobComplete":
            raise DestinationError(
                f"{what}: job {job_id} ended {state} ({message or 'no message'}); nothing was "
                "confirmed, the records are re-sent on the next run"
            )
        results: list[RecordResult] = []
        ok = self._call("GET", f"{job_url}/successfulResults/", what + " results")
        for row in csv.DictReader(io.StringIO(ok.text)):
            created = str(row.get("sf__Created", "")).lower() == "true"
            results.append(
                RecordResult(row[request.external_id], True, row.get("sf__Id") or None, created)
            )
        failed = self._call("GET", f"{job_url}/failedResults/", what + " failures")
        for row in csv.DictReader(io.StringIO(failed.text)):
            error = row.get("sf__Error", "") or "UNKNOWN:unknown error"
            code, _, message = error.partition(":")
            results.append(
                RecordResult(
                    row[request.external_id],
                    False,
                    row.get("sf__Id") or None,
                    None,
                    code or "UNKNOWN",
                    message or error,
                )
            )
        return BatchResult(results, "bulk")

    def _call(self, method: str, url: str, what: str, **kwargs: Any) -> requests.Response:
        response = send_with_retry(
            self.session, method, url, self.retry, what=what, counter=self._calls, **kwargs
        )
        self._raise_for_request_error(response, what)
        return response

    def _poll(self, job_url: str, what: str) -> tuple[str, str]:
        deadline = time.monotonic() + self.bulk_poll_timeout
        delay = 0.05
        while True:
            info = self._call("GET", job_url, what + " poll").json()
            if info.get("state") in BULK_DONE:
                return str(info["state"]), str(info.get("errorMessage") or "")
            if time.monotonic() > deadline:
                raise DestinationError(
                    f"{what}: job still {info.get('state')} after {self.bulk_poll_timeout:.0f}s; "
                    "records are re-sent on the next run"
                )
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def _sf_error(response: requests.Response) -> tuple[str, str]:
    """(errorCode, message) from a Salesforce error body (a list of error objects)."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP_{response.status_code}", response.text[:200]
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if isinstance(body, dict):
        code = body.get("errorCode") or body.get("statusCode") or f"HTTP_{response.status_code}"
        return str(code), str(body.get("message", ""))
    return f"HTTP_{response.status_code}", str(body)[:200]


def _csv_value(value: Any) -> str:
    if value is None:
        return BULK_NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _to_csv(columns: list[str], request: WriteRequest) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for rec in request.records:
        # a blank cell leaves the field untouched in Bulk API 2.0; #N/A sets it to null
        row = [rec.key] + [
            _csv_value(rec.fields[c]) if c in rec.fields else "" for c in columns[1:]
        ]
        writer.writerow(row)
    return out.getvalue()
