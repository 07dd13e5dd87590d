"""Salesforce destination: sObject Collections for small change sets, Bulk API 2.0 for big ones.

- Collections (`PATCH /composite/sobjects/{Object}/{ExternalIdField}`, ≤ 200 records, allOrNone
  false) returns one result per record in request order. Salesforce does not allow the record
  `Id` as the external id of a collection upsert, so syncs keyed by `Id` (records that already
  exist) use the collection update `PATCH /composite/sobjects` with `Id` in each record.
- Bulk API 2.0 ingest (create job → upload CSV → UploadComplete → poll → successful/failed
  results) above `bulk_threshold` rows: a handful of calls instead of ⌈n/200⌉.
- Bulk jobs are bounded (`bulk_job_size` rows, state committed per finished job); a job still
  running at the poll timeout is aborted; a retried job create aborts the orphan it left.
- `REQUEST_LIMIT_EXCEEDED` (daily) stops the sync cleanly (state kept, resume next run); the
  concurrency limit is retried; 401 `INVALID_SESSION_ID` logs in again once (OAuth) before
  `DestinationAuthError`; transient failures retry with backoff.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import requests

from reverse_etl.destinations.base import (
    BatchResult,
    FieldInfo,
    OutboundRecord,
    Prepared,
    RecordResult,
    WriteRequest,
)
from reverse_etl.destinations.http import (
    DestinationAuthError,
    DestinationError,
    DestinationRateLimited,
    RetryPolicy,
    send_with_retry,
)
from reverse_etl.destinations.salesforce_auth import (
    SalesforceAuth,
    SalesforceAuthError,
    StaticTokenAuth,
)

log = logging.getLogger(__name__)

MAX_COLLECTION = 200
# a Bulk job create is recorded as `create:<uuid>` (state Creating) before it is sent and
# marked Resolved once its answer arrived and any orphan of a retried create was aborted
CREATE_INTENT = "create:"
INTENT_OPEN = "Creating"
INTENT_RESOLVED = "Resolved"
CLOCK_SKEW_S = 120.0  # our clock vs the org's createdDate
CREATE_WINDOW_S = 600.0  # retries of one create (backoff, timeouts) end within this
BULK_NULL = "#N/A"
BULK_DONE = {"JobComplete", "Failed", "Aborted"}
# a by-Id write onto a record that is gone (deleted, merged away): drop it, never retry
GONE_CODES = {"ENTITY_IS_DELETED", "NOT_FOUND", "INVALID_CROSS_REFERENCE_KEY"}
_KIND = {
    **dict.fromkeys(
        (
            "string",
            "textarea",
            "email",
            "phone",
            "url",
            "picklist",
            "multipicklist",
            "combobox",
            "encryptedstring",
        ),
        "text",
    ),
    **dict.fromkeys(("double", "currency", "percent", "int", "long"), "number"),
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
    "id": "id",
    "reference": "id",
}


def _job_time(text: str) -> float:
    try:
        return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except (TypeError, ValueError):
        return 0.0


class SalesforceDestination:
    """Writes records to one Salesforce org over the REST API."""

    name = "salesforce"

    def __init__(
        self,
        instance_url: str = "",
        token: str = "",
        api_version: str = "62.0",
        retry: RetryPolicy | None = None,
        bulk_poll_timeout: float = 900.0,
        auth: SalesforceAuth | None = None,
    ) -> None:
        self.auth: SalesforceAuth = auth or StaticTokenAuth(token, instance_url)
        self.api_version = api_version
        self._instance_hint = instance_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        self.retry = retry or RetryPolicy()
        self.bulk_poll_timeout = bulk_poll_timeout
        self._calls = [0]
        self.token_refreshes = 0

    def __repr__(self) -> str:  # never show the token
        return f"SalesforceDestination({self.base!r})"

    @property
    def base(self) -> str:
        """API root of the org (known once logged in; the configured URL before)."""
        instance = getattr(self.auth, "_instance_url", "") or self._instance_hint
        if isinstance(self.auth, StaticTokenAuth):
            instance = self.auth.instance_url.rstrip("/")
        return f"{instance}/services/data/v{self.api_version}"

    @property
    def api_calls(self) -> int:
        return self._calls[0]

    # -- HTTP with the session's token, renewed once on 401 ---------------------------------
    def _request(
        self, method: str, path: str, what: str, attempts_out: list[int] | None = None, **kw: Any
    ) -> requests.Response:
        extra = kw.pop("headers", {})
        try:
            token, instance = self.auth.token()
        except SalesforceAuthError as exc:
            raise DestinationAuthError(f"{what}: {exc}") from exc
        url = f"{instance.rstrip('/')}/services/data/v{self.api_version}{path}"
        for renewed in (False, True):
            response = send_with_retry(
                self.session,
                method,
                url,
                self.retry,
                what=what,
                counter=self._calls,
                attempts_out=attempts_out,
                headers={**extra, "Authorization": f"Bearer {token}"},
                **kw,
            )
            if response.status_code != 401 or renewed:
                return response
            # the session expired (or was revoked): a 401 applied nothing, so log in again
            # once and resend; a second 401 is a real credentials problem
            try:
                if not self.auth.refresh(token):
                    return response
                token, instance = self.auth.token()
            except SalesforceAuthError as exc:
                raise DestinationAuthError(f"{what}: {exc}") from exc
            self.token_refreshes += 1
            log.info("%s: Salesforce session expired; logged in again", what)
            url = f"{instance.rstrip('/')}/services/data/v{self.api_version}{path}"
        return response  # pragma: no cover

    def _call(self, method: str, path: str, what: str, **kwargs: Any) -> requests.Response:
        response = self._request(method, path, what, **kwargs)
        self._raise_for_request_error(response, what)
        return response

    def _raise_for_request_error(self, response: requests.Response, what: str) -> None:
        """Turn a request-level failure into the exception that says what to do."""
        if response.status_code < 400:
            return
        code, message = _sf_error(response)
        if response.status_code == 401 or code == "INVALID_SESSION_ID":
            raise DestinationAuthError(
                f"{what}: Salesforce rejected the session (401 {code}) and a new login did not "
                "help; set SALESFORCE_CLIENT_ID with SALESFORCE_REFRESH_TOKEN (refresh-token "
                "flow) or SALESFORCE_USERNAME and SALESFORCE_JWT_KEY_FILE (JWT bearer flow), or a "
                "valid SALESFORCE_ACCESS_TOKEN, and re-run"
            )
        if code == "REQUEST_LIMIT_EXCEEDED":
            raise DestinationRateLimited(
                f"{what}: REQUEST_LIMIT_EXCEEDED ({message}); stopped cleanly, state kept, "
                "resumes on the next run"
            )
        raise DestinationError(f"{what}: HTTP {response.status_code} {code}: {message}")

    # -- schema --------------------------------------------------------------------------
    def describe(self, object_name: str) -> dict[str, FieldInfo]:
        body = self._call("GET", f"/sobjects/{object_name}/describe", f"describe {object_name}")
        out: dict[str, FieldInfo] = {}
        for f in body.json().get("fields") or []:
            vendor = str(f.get("type", ""))
            out[str(f["name"]).lower()] = FieldInfo(
                name=str(f["name"]),
                kind=_KIND.get(vendor, "other"),
                vendor_type=vendor,
                length=int(f["length"]) if f.get("length") else None,
                writable=bool(f.get("updateable")) or bool(f.get("createable")),
                unique=bool(f.get("unique")),
                id_lookup=bool(f.get("idLookup")) or bool(f.get("externalId")),
            )
        return out

    def prepare(self, request: WriteRequest) -> Prepared:
        creates = sum(
            1
            for r in request.records
            if request.external_id != "Id" and r.destination_id is None and r.action == "create"
        )
        return Prepared(request, creates=creates)

    # -- writes ----------------------------------------------------------------------------
    def write(self, request: WriteRequest) -> Iterator[BatchResult]:
        """Records revloop wrote before (destination id known) and syncs keyed by Id go by
        Id (update, never re-creating a deleted record); new records by the external id
        (upsert, idempotent when a lost answer makes us resend)."""
        by_id = [r for r in request.records if request.external_id == "Id" or r.destination_id]
        by_key = [
            r for r in request.records if not (request.external_id == "Id" or r.destination_id)
        ]
        bulk = len(request.records) >= request.bulk_threshold
        for part, by_id_part in ((by_id, True), (by_key, False)):
            if not part:
                continue
            if bulk:
                size = max(1, request.bulk_job_size)
                for start in range(0, len(part), size):
                    yield self._bulk(request, part[start : start + size], by_id_part)
                continue
            size = min(request.batch_size, MAX_COLLECTION)
            for start in range(0, len(part), size):
                yield self._collection(
                    request, part[start : start + size], by_id_part, start // size + 1
                )

    # -- sObject Collections -------------------------------------------------------------
    def _collection(
        self, request: WriteRequest, chunk: list[OutboundRecord], by_id: bool, number: int
    ) -> BatchResult:
        what = f"Salesforce {'update' if by_id else 'upsert'} {request.object} batch {number}"
        records = []
        for rec in chunk:
            body: dict[str, Any] = {"attributes": {"type": request.object}}
            if by_id:
                body["Id"] = rec.destination_id if request.external_id != "Id" else rec.key
            else:
                body[request.external_id] = rec.key
            body.update(rec.fields)
            records.append(body)
        path = (
            "/composite/sobjects"
            if by_id
            else f"/composite/sobjects/{request.object}/{request.external_id}"
        )
        response = self._call("PATCH", path, what, json={"allOrNone": False, "records": records})
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
                continue
            errors = item.get("errors") or [{}]
            code = errors[0].get("statusCode") or errors[0].get("errorCode") or "UNKNOWN"
            if code == "REQUEST_LIMIT_EXCEEDED":
                raise DestinationRateLimited(
                    f"{what}: REQUEST_LIMIT_EXCEEDED; stopped cleanly, resumes next run"
                )
            message = "; ".join(str(e.get("message", "")) for e in errors)
            results.append(
                RecordResult(
                    rec.key,
                    False,
                    item.get("id") or rec.destination_id,
                    None,
                    code,
                    message,
                    gone=by_id and code in GONE_CODES,
                )
            )
        return BatchResult(results, "rest")

    # -- Bulk API 2.0 ----------------------------------------------------------------------
    def _bulk(self, request: WriteRequest, part: list[OutboundRecord], by_id: bool) -> BatchResult:
        """One bounded job: create → upload → UploadComplete → poll → results. A job still
        running at the poll timeout is aborted, never left to overlap the next run's."""
        what = f"Salesforce Bulk API 2.0 {request.object} ({len(part)} rows)"
        key_column = "Id" if by_id else request.external_id
        columns = [key_column] + sorted({f for rec in part for f in rec.fields})
        job_spec: dict[str, Any] = {
            "object": request.object,
            "operation": "update" if by_id else "upsert",
            "contentType": "CSV",
            "lineEnding": "LF",
            "columnDelimiter": "COMMA",
        }
        if not by_id:
            job_spec["externalIdFieldName"] = request.external_id
        notify: Callable[[dict], None] = request.on_bulk_job or (lambda _info: None)
        # the create is recorded before it is sent: if its answer is lost and the retries fail
        # (or the process dies), the next run still knows a job may exist that it never heard
        # of, and aborts it (finish_jobs) before creating new ones
        intent = {
            "id": f"{CREATE_INTENT}{uuid.uuid4().hex}",
            "object": request.object,
            "operation": job_spec["operation"],
            "state": INTENT_OPEN,
            "rows": len(part),
        }
        notify(intent)
        started = time.time()
        attempts = [0]
        try:
            info = self._call(
                "POST", "/jobs/ingest", what + " create job", attempts_out=attempts, json=job_spec
            ).json()
        except DestinationError:
            notify(intent)  # marks the time of the last attempt (the window to search)
            raise
        job_id = str(info["id"])
        notify({**info, "rows": len(part)})
        if attempts[0] > 1:  # an earlier create may have been applied with its answer lost
            self._abort_orphans(info, started)
        notify({**intent, "state": INTENT_RESOLVED})
        job = f"/jobs/ingest/{job_id}"
        keys_by_id = {
            (r.destination_id if request.external_id != "Id" else r.key): r.key for r in part
        }

        def key_of(row: dict) -> str:
            value = row.get(key_column, "")
            return keys_by_id.get(value, value) if by_id else value

        self._call(
            "PUT",
            f"{job}/batches",
            what + " upload",
            data=_to_csv(columns, part, by_id, request.external_id).encode(),
            headers={"Content-Type": "text/csv"},
        )
        self._call("PATCH", job, what + " close", json={"state": "UploadComplete"})
        state, message = self._poll(job, what)
        if state == "InProgress":  # poll timeout
            self._call("PATCH", job, what + " abort", json={"state": "Aborted"})
            notify({**info, "state": "Aborted"})
            raise DestinationError(
                f"{what}: job {job_id} still running after {self.bulk_poll_timeout:.0f}s; "
                "aborted (records it already wrote stay written); nothing of it was confirmed, "
                "the records are re-sent on the next run"
            )
        notify({**info, "state": state})
        if state != "JobComplete":
            raise DestinationError(
                f"{what}: job {job_id} ended {state} ({message or 'no message'}); nothing was "
                "confirmed, the records are re-sent on the next run"
            )
        results: list[RecordResult] = []
        ok = self._call("GET", f"{job}/successfulResults/", what + " results")
        for row in csv.DictReader(io.StringIO(ok.text)):
            created = str(row.get("sf__Created", "")).lower() == "true"
            results.append(RecordResult(key_of(row), True, row.get("sf__Id") or None, created))
        failed = self._call("GET", f"{job}/failedResults/", what + " failures")
        for row in csv.DictReader(io.StringIO(failed.text)):
            error = row.get("sf__Error", "") or "UNKNOWN:unknown error"
            code, _, message = error.partition(":")
            results.append(
                RecordResult(
                    key_of(row),
                    False,
                    row.get("sf__Id") or (row.get("Id") if by_id else None) or None,
                    None,
                    code or "UNKNOWN",
                    message or error,
                    gone=by_id and code in GONE_CODES,
                )
            )
        return BatchResult(results, "bulk")

    def _poll(self, job: str, what: str) -> tuple[str, str]:
        deadline = time.monotonic() + self.bulk_poll_timeout
        delay = 0.05
        while True:
            info = self._call("GET", job, what + " poll").json()
            if info.get("state") in BULK_DONE:
                return str(info["state"]), str(info.get("errorMessage") or "")
            if time.monotonic() + delay > deadline:
                return "InProgress", ""
            time.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _abort_orphans(self, ours: dict, since: float) -> list[str]:
        """Abort Open jobs a retried create left behind: same object, operation and user,
        created since our first attempt (minus clock skew), not the job we got."""
        return self._sweep(
            str(ours.get("object")),
            str(ours.get("operation")),
            since - CLOCK_SKEW_S,
            time.time() + CLOCK_SKEW_S,
            ours.get("createdById"),
            {str(ours.get("id"))},
        )

    def _sweep(
        self,
        object_name: str,
        operation: str,
        since: float,
        until: float,
        created_by: str | None,
        known: set[str],
    ) -> list[str]:
        """Abort the Open ingest jobs of this object and operation created in [since, until]
        (epoch seconds) that revloop never heard of (`known`), by `created_by` when known.
        An Open job has no data being processed: aborting it loses nothing."""
        listing = self._call("GET", "/jobs/ingest", "Salesforce list ingest jobs").json()
        aborted = []
        for job in listing.get("records") or []:
            if (
                job.get("state") == "Open"
                and str(job.get("id")) not in known
                and job.get("object") == object_name
                and job.get("operation") == operation
                and (created_by is None or job.get("createdById") == created_by)
                and since <= _job_time(str(job.get("createdDate"))) <= until
            ):
                self._call(
                    "PATCH",
                    f"/jobs/ingest/{job['id']}",
                    "Salesforce abort orphan job",
                    json={"state": "Aborted"},
                )
                aborted.append(str(job["id"]))
        if aborted:
            log.warning(
                "aborted %d orphan Bulk API job(s) left by a retried create: %s",
                len(aborted),
                aborted,
            )
        return aborted

    def finish_jobs(
        self, jobs: list[str] | list[dict], known: set[str] | None = None
    ) -> dict[str, str]:
        """Jobs an earlier run left unfinished: abort Open ones, wait for processing ones
        (aborting at the poll timeout); returns each job's final state.

        A job create whose answer never arrived (`create:` intent rows, with `object`,
        `operation`, `created_at`/`updated_at` as epoch seconds and `created_by` when known)
        is settled by listing the org's jobs and aborting the Open ones of that object and
        operation created in its window that are not in `known` (ids revloop recorded)."""
        final: dict[str, str] = {}
        known = set(known or ())
        for item in jobs:
            entry = item if isinstance(item, dict) else {"job_id": item}
            job_id = str(entry["job_id"])
            if job_id.startswith(CREATE_INTENT):
                aborted = self._sweep(
                    str(entry.get("object")),
                    str(entry.get("operation")),
                    float(entry["created_at"]) - CLOCK_SKEW_S,
                    float(entry.get("updated_at") or entry["created_at"]) + CREATE_WINDOW_S,
                    entry.get("created_by"),
                    known,
                )
                final[job_id] = INTENT_RESOLVED
                for orphan in aborted:
                    final[orphan] = "Aborted"
                continue
            job = f"/jobs/ingest/{job_id}"
            response = self._request("GET", job, "Salesforce job info")
            if response.status_code == 404:
                final[job_id] = "NotFound"
                continue
            self._raise_for_request_error(response, "Salesforce job info")
            state = str(response.json().get("state"))
            if state == "Open":
                self._call(
                    "PATCH", job, "Salesforce abort unfinished job", json={"state": "Aborted"}
                )
                state = "Aborted"
            elif state not in BULK_DONE:
                state, _ = self._poll(job, "Salesforce unfinished job")
                if state == "InProgress":
                    self._call("PATCH", job, "Salesforce abort job", json={"state": "Aborted"})
                    state = "Aborted"
            final[job_id] = state
        return final


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


def _to_csv(columns: list[str], part: list[OutboundRecord], by_id: bool, external_id: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for rec in part:
        key = rec.destination_id if by_id and external_id != "Id" else rec.key
        # a blank cell leaves the field untouched in Bulk API 2.0; #N/A sets it to null
        row = [key] + [_csv_value(rec.fields[c]) if c in rec.fields else "" for c in columns[1:]]
        writer.writerow(row)
    return out.getvalue()
