"""Sandbox process behaviour: persistence, seeding, injected faults, request log, throughput."""

from __future__ import annotations

import json
import time

import pytest
import requests

from sandbox.server import start_background

API = "/services/data/v62.0"
TOKEN = "server-test-token"


def _session(handle) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {handle.token}"
    return s


def _page(records: list[dict], obj: str) -> dict:
    return {
        "totalSize": len(records),
        "done": True,
        "records": [
            {"attributes": {"type": obj, "url": f"{API}/sobjects/{obj}/{r['Id']}"}, **r}
            for r in records
        ],
    }


@pytest.fixture
def extracts(tmp_path):
    """Two Lead pages (L1 updated in the second, L2 deleted) and one Account page."""
    root = tmp_path / "extracts" / "salesforce"
    (root / "Lead").mkdir(parents=True)
    (root / "Account").mkdir(parents=True)
    l1 = "00Q5g00000AbCdEEAZ"
    l2 = "00Q5g00000AbCdFEAZ"
    base = {"LastName": "Yamada", "Company": "Sample KK", "IsDeleted": False}
    (root / "Lead" / "20261001T000000Z-0001.json").write_text(
        json.dumps(
            _page(
                [
                    {
                        "Id": l1,
                        "Status": "Open",
                        "SystemModstamp": "2026-09-01T00:00:00.000+0000",
                        **base,
                    },
                    {
                        "Id": l2,
                        "Status": "Open",
                        "SystemModstamp": "2026-09-01T00:00:00.000+0000",
                        **base,
                    },
                ],
                "Lead",
            )
        )
    )
    (root / "Lead" / "20261002T000000Z-0001.json").write_text(
        json.dumps(
            _page(
                [
                    {
                        "Id": l2,
                        "Status": "Open",
                        "SystemModstamp": "2026-09-05T00:00:00.000+0000",
                        **{**base, "IsDeleted": True},
                    },
                    # an older version arriving in a later file must not win
                    {
                        "Id": l1,
                        "Status": "Stale",
                        "SystemModstamp": "2026-08-01T00:00:00.000+0000",
                        **base,
                    },
                    {
                        "Id": l1,
                        "Status": "Working",
                        "SystemModstamp": "2026-09-10T00:00:00.000+0000",
                        **base,
                    },
                    {"Id": None, "Status": "Broken", **base},  # a row loaders quarantine
                ],
                "Lead",
            )
        )
    )
    (root / "Lead" / "20261003T000000Z-0001.json").write_text("{not json")
    (root / "Account" / "20261001T000000Z-0001.json").write_text(
        json.dumps(
            _page(
                [
                    {
                        "Id": "0015g00000XyZaBAAV",
                        "Name": "Sample KK",
                        "Corporate_Number__c": "1234567890123",
                        "Custom_Extra__c": "kept",
                        "SystemModstamp": "2026-09-01T00:00:00.000+0000",
                    },
                ],
                "Account",
            )
        )
    )
    return tmp_path / "extracts", l1, l2


def test_seeding_newest_wins_deletions_kept_and_idempotent(tmp_path, extracts):
    folder, l1, l2 = extracts
    db = tmp_path / "seeded.sqlite"
    with start_background(0, db, folder, TOKEN) as handle:
        s = _session(handle)
        live = s.get(f"{handle.url}{API}/query", params={"q": "SELECT Id, Status FROM Lead"}).json()
        assert [(r["Id"], r["Status"]) for r in live["records"]] == [(l1, "Working")]
        every = s.get(
            f"{handle.url}{API}/queryAll",
            params={"q": "SELECT Id, IsDeleted FROM Lead ORDER BY Id"},
        ).json()
        assert [(r["Id"], r["IsDeleted"]) for r in every["records"]] == [(l1, False), (l2, True)]
        acc = s.get(
            f"{handle.url}{API}/query", params={"q": "SELECT Name, Custom_Extra__c FROM Account"}
        ).json()["records"]
        assert acc[0]["Custom_Extra__c"] == "kept"  # unknown extract fields stay queryable
        # the sandbox changes L1 after the extract was taken
        r = s.patch(f"{handle.url}{API}/sobjects/Lead/{l1}", json={"Status": "Qualified"})
        assert r.status_code == 204
        health = s.get(f"{handle.url}/__admin/health").json()
        assert health["seeded"] == {"Lead": 2, "Account": 1, "_skipped": 2}
    with start_background(0, db, folder, TOKEN) as handle:
        s = _session(handle)
        assert s.get(f"{handle.url}/__admin/health").json()["seeded"] == {}  # same files: skipped
        status = s.get(f"{handle.url}{API}/sobjects/Lead/{l1}").json()["Status"]
        assert status == "Qualified"
        # touching the files re-applies them, but a newer sandbox write still wins
        for page in (folder / "salesforce" / "Lead").iterdir():
            page.write_text(page.read_text() + "\n")
    with start_background(0, db, folder, TOKEN) as handle:
        s = _session(handle)
        # only the touched pages are read again (the Account page is not: no "Account" key)
        assert s.get(f"{handle.url}/__admin/health").json()["seeded"] == {
            "Lead": 0,
            "_skipped": 2,
        }
        assert s.get(f"{handle.url}{API}/sobjects/Lead/{l1}").json()["Status"] == "Qualified"
        # a new page of a later night: only it is read, and its newer version wins
        (folder / "salesforce" / "Lead" / "20261004T000000Z-0001.json").write_text(
            json.dumps(
                _page(
                    [
                        {
                            "Id": l1,
                            "Status": "Nurture",
                            "SystemModstamp": "2099-01-01T00:00:00.000+0000",
                            "LastName": "Later",
                            "Company": "Sample KK",
                        }
                    ],
                    "Lead",
                )
            )
        )
    with start_background(0, db, folder, TOKEN) as handle:
        s = _session(handle)
        assert s.get(f"{handle.url}/__admin/health").json()["seeded"] == {"Lead": 1}
        assert s.get(f"{handle.url}{API}/sobjects/Lead/{l1}").json()["Status"] == "Nurture"


def test_data_survives_restart_and_ids_do_not_repeat(tmp_path):
    db = tmp_path / "persist.sqlite"
    rec = {"attributes": {"type": "Account"}, "Revloop_Account_Id__c": "acc_1", "Name": "One"}
    with start_background(0, db, None, TOKEN) as handle:
        s = _session(handle)
        first = s.patch(
            f"{handle.url}{API}/composite/sobjects/Account/Revloop_Account_Id__c",
            json={"records": [rec]},
        ).json()[0]
        s.post(
            f"{handle.url}/crm/v3/objects/companies/batch/upsert",
            json={
                "inputs": [
                    {
                        "id": "acc_1",
                        "idProperty": "revloop_account_id",
                        "properties": {"name": "One"},
                    }
                ]
            },
        )
    with start_background(0, db, None, TOKEN) as handle:
        s = _session(handle)
        again = s.patch(
            f"{handle.url}{API}/composite/sobjects/Account/Revloop_Account_Id__c",
            json={"records": [rec, {**rec, "Revloop_Account_Id__c": "acc_2"}]},
        ).json()
        assert again[0]["id"] == first["id"] and again[0]["created"] is False
        assert again[1]["created"] is True and again[1]["id"] != first["id"]
        hs = s.get(
            f"{handle.url}/crm/v3/objects/companies/acc_1",
            params={"idProperty": "revloop_account_id"},
        )
        assert hs.status_code == 200 and hs.json()["properties"]["name"] == "One"


def test_request_log_records_counts_and_never_the_token(sandbox):
    s = _session(sandbox)
    s.patch(
        f"{sandbox.url}{API}/composite/sobjects/Lead/Revloop_Person_Id__c",
        json={
            "records": [
                {
                    "attributes": {"type": "Lead"},
                    "Revloop_Person_Id__c": f"p{i}",
                    "LastName": "X",
                    "Company": "Y",
                }
                for i in range(3)
            ]
        },
    )
    requests.get(
        f"{sandbox.url}/crm/v3/objects/contacts",
        headers={"Authorization": f"Bearer {sandbox.token}x"},
    )
    entries = sandbox.request_log()
    assert [(e["method"], e["status"], e["records"]) for e in entries] == [
        ("PATCH", 200, 3),
        ("GET", 401, 0),
    ]
    assert all(e["duration_ms"] >= 0 for e in entries)
    raw = requests.get(
        f"{sandbox.url}/__admin/requests", headers={"Authorization": f"Bearer {sandbox.token}"}
    ).text
    assert sandbox.token not in raw and "uthorization" not in raw


def test_injected_faults(sandbox):
    s = _session(sandbox)
    url = f"{sandbox.url}{API}/query"
    params = {"q": "SELECT Id FROM Lead"}
    sandbox.configure_faults(error_rate=1.0, status_code=503)
    r = s.get(url, params=params)
    assert r.status_code == 503 and r.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
    sandbox.configure_faults(drop_connection_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        requests.get(url, params=params, headers={"Authorization": f"Bearer {sandbox.token}"})
    sandbox.configure_faults(latency_ms=300)
    started = time.perf_counter()
    assert s.get(url, params=params).status_code == 200
    assert time.perf_counter() - started >= 0.3
    # a seeded error rate is reproducible
    outcomes = []
    for _ in range(2):
        sandbox.configure_faults(error_rate=0.5, seed=7)
        outcomes.append([s.get(url, params=params).status_code for _ in range(20)])
    assert outcomes[0] == outcomes[1] and 0 < outcomes[0].count(503) < 20
    sandbox.reset()
    assert s.get(url, params=params).status_code == 200
    assert [e["fault"] for e in sandbox.request_log()] == [None]


def test_collections_upsert_passes_create_then_update(sandbox):
    """Full 200-record upserts: the first pass creates all 1,000 records, the second updates
    them (created false), and a record carries its second-pass value: per_3_7 → 7 × 2 = 14.

    The sandbox's capacity (records per server CPU-second) is a benchmark, not a test:
    scripts/bench_reverse_etl.py prints it (BENCHMARKS.md)."""
    s = _session(sandbox)
    url = f"{sandbox.url}{API}/composite/sobjects/Contact/Revloop_Person_Id__c"
    for score in (1, 2):  # first pass creates, second updates
        for b in range(5):
            batch = [
                {
                    "attributes": {"type": "Contact"},
                    "Revloop_Person_Id__c": f"per_{b}_{i}",
                    "LastName": "Perf",
                    "Revloop_Score__c": i * score,
                    "Revloop_Grade__c": "B",
                    "Revloop_MQL_Date__c": "2026-10-01",
                    "Revloop_Lost_Deal__c": False,
                }
                for i in range(200)
            ]
            r = s.patch(url, json={"allOrNone": False, "records": batch})
            assert r.status_code == 200
            assert all(x["success"] and x["created"] is (score == 1) for x in r.json())
    rows = s.get(
        f"{sandbox.url}{API}/query",
        params={"q": "SELECT Revloop_Score__c FROM Contact WHERE Revloop_Person_Id__c = 'per_3_7'"},
    ).json()
    assert rows["records"][0]["Revloop_Score__c"] == 14
    count = s.get(f"{sandbox.url}{API}/query", params={"q": "SELECT Id FROM Contact"}).json()
    assert count["totalSize"] == 1000


def test_seed_version_stamp_reads_every_form_salesforce_writes() -> None:
    """The version a seeded record carries (the newest wins): SystemModstamp, else
    LastModifiedDate, else CreatedDate, in Salesforce's wire form. A value already in wire
    form is kept as it is (no parse), but only when it is a real instant: 2026-02-30 is not,
    so the next field decides. By hand: 2026-02-01T09:00:00+09:00 is 00:00 UTC."""
    from sandbox.seed import EPOCH, _stamp

    assert _stamp({"SystemModstamp": "2026-03-02T01:04:05.123+0000"}) == (
        "2026-03-02T01:04:05.123+0000"
    )
    assert _stamp({"SystemModstamp": "2026-03-02T01:04:05Z"}) == "2026-03-02T01:04:05.000+0000"
    assert (
        _stamp(
            {
                "SystemModstamp": "2026-02-30T00:00:00.000+0000",
                "LastModifiedDate": "2026-02-01T09:00:00+09:00",
            }
        )
        == "2026-02-01T00:00:00.000+0000"
    )
    assert _stamp({"SystemModstamp": "2026-03-02T25:00:00.000+0000"}) == EPOCH
    assert _stamp({"CreatedDate": "not a date"}) == EPOCH
