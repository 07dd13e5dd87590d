"""The sandbox's Salesforce REST subset, exercised over a real socket like the real API."""

from __future__ import annotations

import csv
import io

import requests

API = "/services/data/v62.0"


def _session(sandbox) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {sandbox.token}"
    return s


def _lead(key: str, **extra) -> dict:
    return {
        "attributes": {"type": "Lead"},
        "Revloop_Person_Id__c": key,
        "LastName": f"L-{key}",
        "Company": "Acme",
        **extra,
    }


def _upsert(s, sandbox, records, all_or_none=False, obj="Lead", key="Revloop_Person_Id__c"):
    return s.patch(
        f"{sandbox.url}{API}/composite/sobjects/{obj}/{key}",
        json={"allOrNone": all_or_none, "records": records},
    )


def _query(s, sandbox, soql, endpoint="query"):
    return s.get(f"{sandbox.url}{API}/{endpoint}", params={"q": soql})


def test_wrong_or_missing_token_is_401_invalid_session(sandbox):
    url = f"{sandbox.url}{API}/query"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": sandbox.token}):
        r = requests.get(url, params={"q": "SELECT Id FROM Lead"}, headers=headers)
        assert r.status_code == 401
        assert r.json() == [
            {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
        ]
    r = requests.get(f"{sandbox.url}/__admin/requests", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401


def test_collections_upsert_creates_then_updates_by_external_id(sandbox):
    s = _session(sandbox)
    first = _upsert(s, sandbox, [_lead("per_1", Revloop_Score__c=10), _lead("per_2")])
    assert first.status_code == 200
    body = first.json()
    assert [r["created"] for r in body] == [True, True]
    assert all(r["success"] and r["errors"] == [] for r in body)
    assert all(len(r["id"]) == 18 and r["id"].startswith("00Q") for r in body)
    second = _upsert(s, sandbox, [_lead("PER_1", Revloop_Score__c=42.5, Revloop_Grade__c="A")])
    # external ids match case-insensitively, as in Salesforce
    assert second.json() == [{"id": body[0]["id"], "success": True, "errors": [], "created": False}]
    record = s.get(f"{sandbox.url}{API}/sobjects/Lead/{body[0]['id']}").json()
    assert record["Revloop_Score__c"] == 42.5
    assert record["Revloop_Grade__c"] == "A"
    assert record["attributes"] == {"type": "Lead", "url": f"{API}/sobjects/Lead/{body[0]['id']}"}
    assert record["SystemModstamp"] > record["CreatedDate"]
    assert s.get(f"{sandbox.url}{API}/sobjects/Lead/00QRL0000099999AAA").status_code == 404


def test_collections_per_record_errors(sandbox):
    s = _session(sandbox)
    r = _upsert(
        s,
        sandbox,
        [
            _lead("ok"),
            _lead("long", Revloop_Grade__c="ABC"),
            _lead("bad", Not_A_Field__c=1),
            _lead("dup"),
            _lead("dup"),
            _lead("typ", Revloop_Score__c="high"),
            {"attributes": {"type": "Lead"}, "Revloop_Person_Id__c": "noname", "Company": "X"},
        ],
    )
    assert r.status_code == 200
    res = r.json()
    codes = [[e["statusCode"] for e in x["errors"]] for x in res]
    assert codes == [
        [],
        ["STRING_TOO_LONG"],
        ["INVALID_FIELD"],
        ["DUPLICATE_VALUE"],
        ["DUPLICATE_VALUE"],
        ["INVALID_TYPE_ON_FIELD_IN_RECORD"],
        ["REQUIRED_FIELD_MISSING"],
    ]
    assert res[1]["errors"][0]["fields"] == ["Revloop_Grade__c"]
    assert [x["success"] for x in res] == [True] + [False] * 6
    total = _query(s, sandbox, "SELECT Id FROM Lead").json()["totalSize"]
    assert total == 1

    # a unique value already held by another record: DUPLICATE_VALUE naming the holder
    holder = res[0]["id"]
    other = _upsert(s, sandbox, [_lead("per_x")]).json()[0]["id"]
    clash = s.patch(
        f"{sandbox.url}{API}/composite/sobjects",
        json={
            "records": [{"attributes": {"type": "Lead"}, "Id": other, "Revloop_Person_Id__c": "OK"}]
        },
    ).json()
    assert clash[0]["success"] is False
    assert clash[0]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
    assert holder in clash[0]["errors"][0]["message"]


def test_all_or_none_rolls_back_every_record(sandbox):
    s = _session(sandbox)
    res = _upsert(s, sandbox, [_lead("a"), _lead("b", Revloop_Grade__c="TOO LONG")], True).json()
    assert res[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert res[1]["errors"][0]["statusCode"] == "STRING_TOO_LONG"
    assert _query(s, sandbox, "SELECT Id FROM Lead").json()["totalSize"] == 0


def test_collection_limits_and_update_by_id(sandbox):
    s = _session(sandbox)
    r = _upsert(s, sandbox, [_lead(f"p{i}") for i in range(201)])
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    created = _upsert(s, sandbox, [_lead("p1")]).json()[0]["id"]
    upd = s.patch(
        f"{sandbox.url}{API}/composite/sobjects",
        json={
            "allOrNone": False,
            "records": [
                {"attributes": {"type": "Lead"}, "Id": created, "Revloop_Lost_Deal__c": True},
                {"attributes": {"type": "Lead"}, "Id": "00QRL0000077777AAA", "Status": "Open"},
            ],
        },
    ).json()
    assert upd[0] == {"id": created, "success": True, "errors": []}
    assert upd[1]["errors"][0]["statusCode"] == "NOT_FOUND"
    rec = s.get(
        f"{sandbox.url}{API}/sobjects/Lead/{created}", params={"fields": "Revloop_Lost_Deal__c"}
    )
    assert rec.json()["Revloop_Lost_Deal__c"] is True
    # "Id" as the upsert key means update-by-id
    by_id = _upsert(
        s, sandbox, [{"attributes": {"type": "Lead"}, "Id": created, "Title": "CTO"}], key="Id"
    ).json()
    assert by_id == [{"id": created, "success": True, "errors": [], "created": False}]


def test_soql_paging_and_incremental_filter(sandbox):
    """The five creates (one collection call, one save) share SystemModstamp 10:00:00.000
    (the sandbox clock is pinned); the clock then moves 1 s on, so the update of p2 lands at
    10:00:01.000, the only record "> 10:00:00Z"."""
    s = _session(sandbox)
    sandbox.configure(sf_page_size=2)
    sandbox.set_clock("2026-10-31T10:00:00Z")
    ids = [r["id"] for r in _upsert(s, sandbox, [_lead(f"p{i}") for i in range(5)]).json()]
    page = _query(
        s, sandbox, "SELECT Id, Revloop_Person_Id__c FROM Lead ORDER BY Revloop_Person_Id__c"
    ).json()
    seen, sizes = [], []
    while True:
        assert page["totalSize"] == 5
        sizes.append(len(page["records"]))
        seen += [r["Id"] for r in page["records"]]
        if page["done"]:
            assert "nextRecordsUrl" not in page
            break
        assert page["nextRecordsUrl"].startswith(f"{API}/query/01g")
        page = s.get(sandbox.url + page["nextRecordsUrl"]).json()
    assert sizes == [2, 2, 1]
    assert seen == ids  # p0..p4 in key order = creation order

    # incremental: only what changed after the watermark
    mark = s.get(f"{sandbox.url}{API}/sobjects/Lead/{ids[4]}").json()["SystemModstamp"]
    assert mark == "2026-10-31T10:00:00.000+0000"  # the pinned clock
    since = mark[:19] + "Z"  # SOQL datetime literal, to the second
    # like Salesforce, datetimes compare to the second: a write in the mark's own second is
    # not "> mark" (extractors re-read that second with >=); one in a later second is.
    sandbox.set_clock(advance_s=1.0)
    _upsert(s, sandbox, [_lead("p2", Revloop_Score__c=99)])
    soql = f"SELECT Id, Revloop_Score__c FROM Lead WHERE SystemModstamp > {since}"
    recent = _query(s, sandbox, soql).json()
    assert [(r["Id"], r["Revloop_Score__c"]) for r in recent["records"]] == [(ids[2], 99)]
    same_second = f"SELECT Id FROM Lead WHERE SystemModstamp >= {since}"
    assert _query(s, sandbox, same_second).json()["totalSize"] >= 2  # ids[4] and the update
    limited = _query(
        s, sandbox, "SELECT Id FROM Lead WHERE Revloop_Person_Id__c IN ('p1','p3') LIMIT 1"
    )
    assert limited.json()["totalSize"] == 1


def test_soql_errors(sandbox):
    s = _session(sandbox)
    r = _query(s, sandbox, "SELEC Id FROM Lead")
    assert (r.status_code, r.json()[0]["errorCode"]) == (400, "MALFORMED_QUERY")
    r = _query(s, sandbox, "SELECT Nope__c FROM Lead")
    assert (r.status_code, r.json()[0]["errorCode"]) == (400, "INVALID_FIELD")
    r = _query(s, sandbox, "SELECT Id FROM Nope")
    assert (r.status_code, r.json()[0]["errorCode"]) == (400, "INVALID_TYPE")
    r = s.get(f"{sandbox.url}{API}/query/01gBOGUS-2000")
    assert r.status_code == 400


def test_bulk_ingest_job_lifecycle(sandbox):
    s = _session(sandbox)
    job = s.post(
        f"{sandbox.url}{API}/jobs/ingest",
        json={
            "object": "Lead",
            "externalIdFieldName": "Revloop_Person_Id__c",
            "contentType": "CSV",
            "operation": "upsert",
            "lineEnding": "LF",
        },
    ).json()
    assert job["state"] == "Open" and job["id"].startswith("750")
    data = (
        "Revloop_Person_Id__c,LastName,Company,Revloop_Grade__c,Revloop_Score__c\n"
        "b1,One,Acme,A,10\n"
        "b2,Two,Acme,TOO LONG,20\n"
        "b3,Three,Acme,B,30\n"
    )
    put = s.put(
        f"{sandbox.url}{API}/jobs/ingest/{job['id']}/batches",
        data=data.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert put.status_code == 201
    closed = s.patch(
        f"{sandbox.url}{API}/jobs/ingest/{job['id']}", json={"state": "UploadComplete"}
    )
    assert closed.json()["state"] == "UploadComplete"
    states = []
    for _ in range(5):
        info = s.get(f"{sandbox.url}{API}/jobs/ingest/{job['id']}").json()
        states.append(info["state"])
        if info["state"] == "JobComplete":
            break
    assert states == ["InProgress", "JobComplete"]
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (3, 1)
    ok = list(
        csv.DictReader(
            io.StringIO(
                s.get(f"{sandbox.url}{API}/jobs/ingest/{job['id']}/successfulResults/").text
            )
        )
    )
    assert [(r["Revloop_Person_Id__c"], r["sf__Created"]) for r in ok] == [
        ("b1", "true"),
        ("b3", "true"),
    ]
    assert all(r["sf__Id"].startswith("00Q") for r in ok)
    bad = list(
        csv.DictReader(
            io.StringIO(s.get(f"{sandbox.url}{API}/jobs/ingest/{job['id']}/failedResults/").text)
        )
    )
    assert len(bad) == 1 and bad[0]["Revloop_Person_Id__c"] == "b2"
    assert bad[0]["sf__Error"].startswith("STRING_TOO_LONG:")
    rows = _query(
        s,
        sandbox,
        "SELECT Revloop_Person_Id__c, Revloop_Score__c FROM Lead ORDER BY Revloop_Score__c DESC",
    )
    assert [(r["Revloop_Person_Id__c"], r["Revloop_Score__c"]) for r in rows.json()["records"]] == [
        ("b3", 30.0),
        ("b1", 10.0),
    ]


def test_daily_api_limit_is_403_request_limit_exceeded(sandbox):
    s = _session(sandbox)
    sandbox.configure(sf_daily_api_limit=2)
    statuses = [_query(s, sandbox, "SELECT Id FROM Lead").status_code for _ in range(3)]
    assert statuses == [200, 200, 403]
    r = _query(s, sandbox, "SELECT Id FROM Lead")
    assert r.json() == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]


def test_bulk_update_job_and_failed_job(sandbox):
    s = _session(sandbox)
    created = _upsert(s, sandbox, [_lead("u1", Status="Open")]).json()[0]["id"]

    def run(operation: str, data: str) -> dict:
        job = s.post(
            f"{sandbox.url}{API}/jobs/ingest", json={"object": "Lead", "operation": operation}
        ).json()
        s.put(
            f"{sandbox.url}{API}/jobs/ingest/{job['id']}/batches",
            data=data.encode(),
            headers={"Content-Type": "text/csv"},
        )
        s.patch(f"{sandbox.url}{API}/jobs/ingest/{job['id']}", json={"state": "UploadComplete"})
        for _ in range(5):
            info = s.get(f"{sandbox.url}{API}/jobs/ingest/{job['id']}").json()
            if info["state"] in ("JobComplete", "Failed"):
                return info
        raise AssertionError(f"job {job['id']} never finished: {info}")

    # empty cell = unchanged, #N/A = null
    done = run("update", f"Id,Status,Title,Revloop_Grade__c\n{created},Working,,#N/A\n")
    assert (done["state"], done["numberRecordsProcessed"], done["numberRecordsFailed"]) == (
        "JobComplete",
        1,
        0,
    )
    rec = s.get(f"{sandbox.url}{API}/sobjects/Lead/{created}").json()
    assert (rec["Status"], rec["Title"], rec["Revloop_Grade__c"]) == ("Working", None, None)
    failed = run("update", f"Id,Bogus__c\n{created},1\n")
    assert failed["state"] == "Failed" and "Bogus__c" in failed["errorMessage"]
    r = s.get(f"{sandbox.url}{API}/jobs/ingest/{failed['id']}/successfulResults/")
    assert r.status_code == 400
