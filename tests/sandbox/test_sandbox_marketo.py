"""The sandbox's Marketo subset (identity + Bulk Extract), over a real socket like the vendor.

One sandbox per module, seeded from a hand-made extracts folder: three versions of two leads
(the newest per lead is what an instance holds) and four activities on three days.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator

import pytest
import requests

from sandbox.marketo_api import CLIENT_ID
from sandbox.server import SandboxHandle, start_background

TOKEN = "marketo-sandbox-secret"
LEAD_HEADER = "id,email,firstName,company,leadScore,createdAt,updatedAt"
LEADS = f"""{LEAD_HEADER}
1,a@example.co.jp,Taro,null,10,2026-10-01T00:00:00Z,2026-10-01T00:00:00Z
2,b@example.co.jp,Hanako,Sample,20,2026-10-02T00:00:00Z,2026-10-02T00:00:00Z
1,a@example.co.jp,Taro,Acme,90,2026-10-01T00:00:00Z,2026-10-20T00:00:00Z
"""
ACT_HEADER = (
    "marketoGUID,leadId,activityDate,activityTypeId,campaignId,primaryAttributeValueId,"
    "primaryAttributeValue,attributes"
)
ACTIVITIES = f"""{ACT_HEADER}
g1,1,2026-10-01T10:00:00Z,1,null,null,/pricing,"{{""Webpage URL"": ""/pricing""}}"
g2,1,2026-10-05T10:00:00Z,2,5002,1001,Demo request,"{{""Form Name"": ""Demo request""}}"
g3,2,2026-10-05T11:00:00Z,1,null,null,/,"{{""Webpage URL"": ""/""}}"
g4,2,2026-11-20T09:00:00+09:00,10,6001,7001,Newsletter,"{{}}"
"""


@pytest.fixture(scope="module")
def mkto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    root = tmp_path_factory.mktemp("marketo_sandbox")
    for rel, text in [("leads/2026-10-20.csv", LEADS), ("activities/2026-11-20.csv", ACTIVITIES)]:
        path = root / "extracts" / "marketo" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    with start_background(0, root / "sb.sqlite", root / "extracts", TOKEN) as handle:
        yield handle


def _token(mkto: SandboxHandle) -> str:
    r = requests.post(
        f"{mkto.url}/identity/oauth/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": TOKEN},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 3000
    return body["access_token"]


def _api(mkto: SandboxHandle, token: str, method: str, path: str, **kw) -> requests.Response:
    return requests.request(
        method, f"{mkto.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30, **kw
    )


def _job(mkto, token, kind: str, flt: dict, fields: list[str] | None = None) -> str:
    body = {"format": "CSV", "filter": flt}
    if fields:
        body["fields"] = fields
    r = _api(mkto, token, "POST", f"/bulk/v1/{kind}/export/create.json", json=body).json()
    assert r["success"], r
    assert r["result"][0]["status"] == "Created"
    return r["result"][0]["exportId"]


def _status(mkto, token, kind: str, export_id: str) -> dict:
    r = _api(mkto, token, "GET", f"/bulk/v1/{kind}/export/{export_id}/status.json").json()
    assert r["success"], r
    return r["result"][0]


def _wait(mkto, token, kind, export_id) -> dict:
    for _ in range(20):
        info = _status(mkto, token, kind, export_id)
        if info["status"] == "Completed":
            return info
    raise AssertionError(f"job {export_id} never completed: {info}")


def test_client_credentials_and_bearer_tokens(mkto: SandboxHandle) -> None:
    bad = requests.get(
        f"{mkto.url}/identity/oauth/token",
        params={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "x"},
        timeout=30,
    )
    assert bad.status_code == 401 and bad.json()["error"] == "unauthorized"
    # Marketo answers API calls with HTTP 200 and an error code: 601 for an unknown token.
    denied = _api(mkto, "not-a-token", "GET", "/bulk/v1/leads/export.json")
    assert denied.status_code == 200
    assert denied.json()["success"] is False
    assert denied.json()["errors"][0]["code"] == "601"
    ok = _api(mkto, _token(mkto), "GET", "/rest/v1/leads/describe.json").json()
    assert [f["rest"]["name"] for f in ok["result"]] == LEAD_HEADER.split(",")


def test_a_window_longer_than_31_days_or_an_unknown_field_is_refused(mkto: SandboxHandle) -> None:
    token = _token(mkto)
    too_long = {"createdAt": {"startAt": "2026-01-01T00:00:00Z", "endAt": "2026-02-02T00:00:00Z"}}
    r = _api(
        mkto, token, "POST", "/bulk/v1/activities/export/create.json",
        json={"format": "CSV", "filter": too_long},
    ).json()  # fmt: skip
    assert r["success"] is False and "31 days" in r["errors"][0]["message"]
    ok_window = {"updatedAt": {"startAt": "2026-10-01T00:00:00Z", "endAt": "2026-10-31T00:00:00Z"}}
    r = _api(
        mkto, token, "POST", "/bulk/v1/leads/export/create.json",
        json={"format": "CSV", "fields": ["id", "favouriteColour"], "filter": ok_window},
    ).json()  # fmt: skip
    assert r["success"] is False and "favouriteColour" in r["errors"][0]["message"]


def test_jobs_queue_process_two_at_a_time_and_complete(mkto: SandboxHandle) -> None:
    """Four jobs enqueued at once: at no status poll are more than two Processing, and each
    goes Created → Queued → Processing → Completed."""
    token = _token(mkto)
    flt = {"createdAt": {"startAt": "2026-10-01T00:00:00Z", "endAt": "2026-10-31T00:00:00Z"}}
    ids = [_job(mkto, token, "activities", flt) for _ in range(4)]
    for export_id in ids:
        r = _api(mkto, token, "POST", f"/bulk/v1/activities/export/{export_id}/enqueue.json")
        assert r.json()["result"][0]["status"] == "Queued"
    seen: dict[str, list[str]] = {i: [] for i in ids}
    for _ in range(12):
        states = {i: _status(mkto, token, "activities", i)["status"] for i in ids}
        assert sum(s == "Processing" for s in states.values()) <= 2, states
        for i, s in states.items():
            if not seen[i] or seen[i][-1] != s:
                seen[i].append(s)
    assert all(s[-1] == "Completed" for s in seen.values()), seen
    assert all("Processing" in s for s in seen.values())


def test_the_file_is_the_bulk_csv_with_range_support(mkto: SandboxHandle) -> None:
    token = _token(mkto)
    flt = {"updatedAt": {"startAt": "2026-10-01T00:00:00Z", "endAt": "2026-10-31T00:00:00Z"}}
    export_id = _job(mkto, token, "leads", flt, ["id", "company", "leadScore", "updatedAt"])
    _api(mkto, token, "POST", f"/bulk/v1/leads/export/{export_id}/enqueue.json")
    info = _wait(mkto, token, "leads", export_id)
    url = f"/bulk/v1/leads/export/{export_id}/file.json"
    whole = _api(mkto, token, "GET", url)
    assert whole.status_code == 200
    data = whole.content
    assert info["fileSize"] == len(data) and info["numberOfRecords"] == 2
    assert info["fileChecksum"] == "sha256:" + hashlib.sha256(data).hexdigest()
    # One record per lead, its newest version (lead 1 was updated on 2026-10-20).
    rows = list(csv.reader(io.StringIO(data.decode())))
    assert rows == [
        ["id", "company", "leadScore", "updatedAt"],
        ["2", "Sample", "20", "2026-10-02T00:00:00Z"],
        ["1", "Acme", "90", "2026-10-20T00:00:00Z"],
    ]
    part = requests.get(
        f"{mkto.url}{url}",
        headers={"Authorization": f"Bearer {token}", "Range": "bytes=10-"},
        timeout=30,
    )
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 10-{len(data) - 1}/{len(data)}"
    assert part.content == data[10:]


def test_activities_keep_null_literals_and_attribute_objects(mkto: SandboxHandle) -> None:
    """The +09:00 activity (2026-11-20 00:00 UTC) is outside October; the others are in."""
    token = _token(mkto)
    flt = {"createdAt": {"startAt": "2026-10-01T00:00:00Z", "endAt": "2026-10-31T23:59:59Z"}}
    export_id = _job(mkto, token, "activities", flt)
    _api(mkto, token, "POST", f"/bulk/v1/activities/export/{export_id}/enqueue.json")
    _wait(mkto, token, "activities", export_id)
    text = _api(mkto, token, "GET", f"/bulk/v1/activities/export/{export_id}/file.json").text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["marketoGUID"] for r in rows] == ["g1", "g2", "g3"]
    assert rows[0]["campaignId"] == "null"
    assert json.loads(rows[1]["attributes"]) == {"Form Name": "Demo request"}


def test_queue_holds_ten_jobs(mkto: SandboxHandle) -> None:
    token = _token(mkto)
    flt = {"createdAt": {"startAt": "2026-12-01T00:00:00Z", "endAt": "2026-12-02T00:00:00Z"}}
    codes = []
    for _ in range(11):
        export_id = _job(mkto, token, "activities", flt)
        r = _api(mkto, token, "POST", f"/bulk/v1/activities/export/{export_id}/enqueue.json")
        body = r.json()
        codes.append(body["errors"][0]["code"] if not body["success"] else "ok")
        if not body["success"]:
            break
    assert codes == ["ok"] * 10 + ["1029"]  # "Too many jobs in queue" (queued + processing)
