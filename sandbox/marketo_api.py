"""Marketo subset served by the sandbox: the identity (OAuth) endpoint and Bulk Extract.

What the vendor documents (experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest):

* ``GET|POST /identity/oauth/token`` with ``grant_type=client_credentials``, ``client_id`` and
  ``client_secret`` (query string or form body) → ``{"access_token", "token_type": "bearer",
  "expires_in", "scope"}``; bad credentials → HTTP 401 ``{"error": "unauthorized", ...}``.
* Every other call sends ``Authorization: Bearer <token>``; a missing or unknown token is
  answered HTTP 200 with ``success: false`` and error ``601`` (invalid) or ``602`` (expired).
* Bulk Extract, for ``leads`` and ``activities``: ``POST /bulk/v1/<kind>/export/create.json``
  (fields, ``format: CSV``, a ``createdAt`` or ``updatedAt`` window of at most 31 days;
  activities also ``activityTypeIds``) → job ``Created``; ``POST .../{exportId}/enqueue.json``
  → ``Queued`` (at most 10 jobs queued, error ``1029``); jobs are processed two at a time
  (``Processing``) and become ``Completed`` with ``numberOfRecords``, ``fileSize`` and
  ``fileChecksum`` (``sha256:<hex>``); ``GET .../{exportId}/status.json``;
  ``GET .../{exportId}/file.json`` streams the CSV and honours ``Range: bytes=a-b`` (206);
  ``POST .../{exportId}/cancel.json``; ``GET /bulk/v1/<kind>/export.json`` lists jobs.
* ``GET /rest/v1/leads/describe.json``: the lead fields (so a client requests only fields the
  instance has).

The data is the sandbox's own, read lazily from an extracts folder's ``marketo/`` files (as
``revloop generate`` writes them, or as an extract wrote them): the newest version of each lead
(a real instance holds one record per lead) and every activity. The CSV is written as the bulk
export writes it: an empty field is ``null``, ``attributes`` a JSON object. Jobs advance on
its own status polls (``polls_per_state``), so a client's poll loop is exercised without waiting.
The client id is ``revloop-sandbox`` and the client secret the sandbox token.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import logging
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

log = logging.getLogger(__name__)

CLIENT_ID = "revloop-sandbox"
TOKEN_SECONDS = 3600
MAX_WINDOW = timedelta(days=31)
MAX_QUEUED = 10  # queued + processing
MAX_PROCESSING = 2
KINDS = ("leads", "activities")
ACTIVITY_FIELDS = [
    "marketoGUID",
    "leadId",
    "activityDate",
    "activityTypeId",
    "campaignId",
    "primaryAttributeValueId",
    "primaryAttributeValue",
    "attributes",
]
NULL = "null"


def _iso(ts: datetime | None) -> str | None:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if ts else None


def _parse(value: str | None) -> datetime | None:
    if not value or value == NULL:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class Job:
    """One export job and the file it produced."""

    export_id: str
    kind: str
    fields: list[str]
    filter: dict
    created_at: datetime
    status: str = "Created"
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    polls: int = 0
    data: bytes = b""
    records: int = 0

    def describe(self) -> dict:
        out: dict = {
            "exportId": self.export_id,
            "format": "CSV",
            "status": self.status,
            "createdAt": _iso(self.created_at),
        }
        if self.queued_at:
            out["queuedAt"] = _iso(self.queued_at)
        if self.started_at:
            out["startedAt"] = _iso(self.started_at)
        if self.status == "Completed":
            out.update(
                finishedAt=_iso(self.finished_at),
                numberOfRecords=self.records,
                fileSize=len(self.data),
                fileChecksum="sha256:" + hashlib.sha256(self.data).hexdigest(),
            )
        return out


@dataclass
class MarketoSandbox:
    """Tokens, jobs and the lead/activity data of one sandbox process."""

    extracts: Path | None
    client_secret: str
    polls_per_state: int = 1
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (epoch seconds)
    jobs: dict[str, Job] = field(default_factory=dict)
    _leads: dict[str, dict[str, str | None]] | None = None
    _lead_fields: list[str] = field(default_factory=list)
    _activities: list[dict[str, str | None]] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---------------------------------------------------------------- data

    def _read(self, folder: str) -> tuple[list[str], list[dict[str, str | None]]]:
        rows: list[dict[str, str | None]] = []
        header: list[str] = []
        base = self.extracts / "marketo" / folder if self.extracts else None
        if base is None or not base.is_dir():
            return header, rows
        for path in sorted(base.glob("*.csv")):
            try:
                with path.open(encoding="utf-8", newline="") as fh:
                    reader = csv.DictReader(fh)
                    header = header or list(reader.fieldnames or [])
                    for row in reader:
                        rows.append({k: (None if v in ("", NULL) else v) for k, v in row.items()})
            except (OSError, UnicodeDecodeError, csv.Error) as exc:
                log.warning("marketo seed: skipped %s (%s)", path, exc)
        return header, rows

    def leads(self) -> dict[str, dict[str, str | None]]:
        """The newest version of every lead (by ``updatedAt``)."""
        with self._lock:
            if self._leads is None:
                header, rows = self._read("leads")
                newest: dict[str, dict[str, str | None]] = {}
                for row in rows:
                    lead_id = row.get("id")
                    if not lead_id or _parse(row.get("updatedAt")) is None:
                        continue
                    old = newest.get(lead_id)
                    if old is None or _parse(row["updatedAt"]) >= _parse(old["updatedAt"]):
                        newest[lead_id] = row
                self._leads, self._lead_fields = newest, header
            return self._leads

    def lead_fields(self) -> list[str]:
        self.leads()
        return list(self._lead_fields)

    def activities(self) -> list[dict[str, str | None]]:
        with self._lock:
            if self._activities is None:
                _, rows = self._read("activities")
                self._activities = [
                    r for r in rows if r.get("marketoGUID") and _parse(r.get("activityDate"))
                ]
            return self._activities

    # ---------------------------------------------------------------- jobs

    def _render(self, job: Job) -> None:
        window_field, window = next(
            (k, v) for k, v in job.filter.items() if k in ("createdAt", "updatedAt")
        )
        start, end = _parse(window["startAt"]), _parse(window["endAt"])
        if job.kind == "leads":
            column = "createdAt" if window_field == "createdAt" else "updatedAt"
            picked = [r for r in self.leads().values() if start <= _parse(r[column]) <= end]
            picked.sort(key=lambda r: (_parse(r[column]), r["id"]))
        else:
            types = {str(t) for t in job.filter.get("activityTypeIds") or []}
            picked = [
                r
                for r in self.activities()
                if start <= _parse(r["activityDate"]) <= end
                and (not types or r.get("activityTypeId") in types)
            ]
            picked.sort(key=lambda r: (_parse(r["activityDate"]), r["marketoGUID"]))
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(job.fields)
        for r in picked:
            writer.writerow([NULL if r.get(f) is None else r[f] for f in job.fields])
        job.data = buf.getvalue().encode("utf-8")
        job.records = len(picked)

    def advance(self, job: Job, now: datetime) -> None:
        """A status poll moves a job on: after ``polls_per_state`` polls a queued job starts
        processing (when fewer than two are), a processing one completes."""
        with self._lock:
            job.polls += 1
            if job.polls <= self.polls_per_state:
                return
            if job.status == "Queued":
                processing = sum(j.status == "Processing" for j in self.jobs.values())
                if processing < MAX_PROCESSING:
                    job.status, job.started_at, job.polls = "Processing", now, 0
            elif job.status == "Processing":
                job.status, job.finished_at = "Completed", now
        if job.status == "Completed" and not job.data:
            self._render(job)


# -------------------------------------------------------------------- responses


def _ok(result: list | None = None, **extra: object) -> JSONResponse:
    body: dict = {"requestId": f"{uuid.uuid4().hex[:4]}#{uuid.uuid4().hex[:12]}", "success": True}
    if result is not None:
        body["result"] = result
    body.update(extra)
    return JSONResponse(body)


def _error(code: str, message: str) -> JSONResponse:
    """Marketo answers API errors with HTTP 200 and ``success: false``."""
    return JSONResponse(
        {
            "requestId": f"{uuid.uuid4().hex[:4]}#{uuid.uuid4().hex[:12]}",
            "success": False,
            "errors": [{"code": code, "message": message}],
        }
    )


def _sandbox(request: Request) -> MarketoSandbox:
    return request.app.state.marketo


def _auth(request: Request) -> JSONResponse | None:
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    expiry = _sandbox(request).tokens.get(token)
    if not token or expiry is None:
        return _error("601", "Access token invalid")
    if expiry < time.time():
        return _error("602", "Access token expired")
    return None


async def token(request: Request) -> Response:
    params = dict(request.query_params)
    if request.method == "POST":  # application/x-www-form-urlencoded
        params.update(parse_qsl((await request.body()).decode("utf-8", "replace")))
    sandbox = _sandbox(request)
    good = (
        params.get("grant_type") == "client_credentials"
        and hmac.compare_digest(params.get("client_id", "").encode(), CLIENT_ID.encode())
        and hmac.compare_digest(
            params.get("client_secret", "").encode(), sandbox.client_secret.encode()
        )
    )
    if not good:
        return JSONResponse(
            {"error": "unauthorized", "error_description": "Bad client credentials"},
            status_code=401,
        )
    issued = secrets.token_hex(16) + ":ab"
    sandbox.tokens[issued] = time.time() + TOKEN_SECONDS
    return JSONResponse(
        {
            "access_token": issued,
            "token_type": "bearer",
            "expires_in": TOKEN_SECONDS - 1,
            "scope": "api@revloop.example",
        }
    )


def _kind(request: Request) -> str | None:
    kind = request.path_params["kind"]
    return kind if kind in KINDS else None


def _validate_filter(kind: str, flt: object) -> str | None:
    if not isinstance(flt, dict):
        return "filter is required"
    windows = [k for k in ("createdAt", "updatedAt") if k in flt]
    if kind == "activities" and windows != ["createdAt"]:
        return "activities need a createdAt filter"
    if len(windows) != 1:
        return "exactly one of createdAt, updatedAt is required"
    window = flt[windows[0]]
    if not isinstance(window, dict):
        return f"{windows[0]} must be an object with startAt and endAt"
    start, end = _parse(window.get("startAt")), _parse(window.get("endAt"))
    if start is None or end is None or end < start:
        return f"{windows[0]}: startAt and endAt must be ISO-8601 datetimes, startAt <= endAt"
    if end - start > MAX_WINDOW:
        return f"{windows[0]}: date range exceeds the maximum of 31 days"
    return None


async def create(request: Request) -> Response:
    denied = _auth(request)
    if denied:
        return denied
    kind = _kind(request)
    if kind is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    try:
        body = await request.json()
    except ValueError:
        return _error("609", "Invalid JSON")
    sandbox = _sandbox(request)
    known = sandbox.lead_fields() if kind == "leads" else ACTIVITY_FIELDS
    fields = body.get("fields") or (known if kind == "activities" else None)
    if not fields:
        return _error("1003", "fields is required for a leads export")
    unknown = [f for f in fields if f not in known]
    if unknown:
        return _error("1003", f"Invalid field(s): {', '.join(unknown)}")
    problem = _validate_filter(kind, body.get("filter"))
    if problem:
        return _error("1003", problem)
    if body.get("format", "CSV") != "CSV":
        return _error("1003", "the sandbox exports CSV only")
    job = Job(
        export_id=str(uuid.uuid4()),
        kind=kind,
        fields=list(fields),
        filter=body["filter"],
        created_at=datetime.now(UTC),
    )
    sandbox.jobs[job.export_id] = job
    return _ok([job.describe()])


def _job(request: Request) -> tuple[Job | None, JSONResponse | None]:
    denied = _auth(request)
    if denied:
        return None, denied
    job = _sandbox(request).jobs.get(request.path_params["export_id"])
    if job is None or job.kind != request.path_params["kind"]:
        return None, _error("1003", "Export job not found")
    return job, None


async def enqueue(request: Request) -> Response:
    job, error = _job(request)
    if error:
        return error
    sandbox = _sandbox(request)
    if job.status != "Created":
        return _error("1029", f"Export job already {job.status}")
    waiting = [j for j in sandbox.jobs.values() if j.status in ("Queued", "Processing")]
    if len(waiting) >= MAX_QUEUED:
        return _error("1029", "Too many jobs in queue")
    job.status, job.queued_at, job.polls = "Queued", datetime.now(UTC), 0
    return _ok([job.describe()])


async def status(request: Request) -> Response:
    job, error = _job(request)
    if error:
        return error
    _sandbox(request).advance(job, datetime.now(UTC))
    return _ok([job.describe()])


async def cancel(request: Request) -> Response:
    job, error = _job(request)
    if error:
        return error
    if job.status in ("Created", "Queued", "Processing"):
        job.status = "Cancelled"
    return _ok([job.describe()])


async def file(request: Request) -> Response:
    job, error = _job(request)
    if error:
        return error
    if job.status != "Completed":
        return _error("1003", f"Export job is {job.status}, not Completed")
    data = job.data
    wanted = request.headers.get("range", "")
    if wanted.startswith("bytes="):
        first, _, last = wanted[6:].partition("-")
        try:
            lo = int(first) if first else max(0, len(data) - int(last))
            hi = int(last) if first and last else len(data) - 1
        except ValueError:
            return Response(status_code=416, headers={"Content-Range": f"bytes */{len(data)}"})
        if lo >= len(data) or lo > hi:
            return Response(status_code=416, headers={"Content-Range": f"bytes */{len(data)}"})
        hi = min(hi, len(data) - 1)
        return Response(
            data[lo : hi + 1],
            status_code=206,
            media_type="text/csv",
            headers={"Content-Range": f"bytes {lo}-{hi}/{len(data)}", "Accept-Ranges": "bytes"},
        )
    return Response(data, media_type="text/csv", headers={"Accept-Ranges": "bytes"})


async def list_jobs(request: Request) -> Response:
    denied = _auth(request)
    if denied:
        return denied
    kind = _kind(request)
    wanted = set(request.query_params.getlist("status"))
    jobs = [
        j.describe()
        for j in _sandbox(request).jobs.values()
        if j.kind == kind and (not wanted or j.status in wanted)
    ]
    return _ok(jobs)


async def describe_leads(request: Request) -> Response:
    denied = _auth(request)
    if denied:
        return denied
    fields = _sandbox(request).lead_fields()
    return _ok(
        [
            {"id": i + 1, "displayName": f, "dataType": "string", "rest": {"name": f}}
            for i, f in enumerate(fields)
        ]
    )


def routes() -> list[Route]:
    bulk = "/bulk/v1/{kind}/export"
    return [
        Route("/identity/oauth/token", token, methods=["GET", "POST"]),
        Route("/rest/v1/leads/describe.json", describe_leads, methods=["GET"]),
        Route(bulk + ".json", list_jobs, methods=["GET"]),
        Route(bulk + "/create.json", create, methods=["POST"]),
        Route(bulk + "/{export_id}/enqueue.json", enqueue, methods=["POST"]),
        Route(bulk + "/{export_id}/status.json", status, methods=["GET"]),
        Route(bulk + "/{export_id}/cancel.json", cancel, methods=["POST"]),
        Route(bulk + "/{export_id}/file.json", file, methods=["GET"]),
    ]


def sandbox_for(extracts: Path | None, client_secret: str) -> MarketoSandbox:
    """The Marketo state of a sandbox app (data read from ``extracts`` on first use)."""
    return MarketoSandbox(Path(extracts) if extracts is not None else None, client_secret)


__all__ = ["CLIENT_ID", "MarketoSandbox", "routes", "sandbox_for"]
