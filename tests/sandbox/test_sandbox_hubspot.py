"""The sandbox's HubSpot CRM v3 subset over a real socket: batch semantics, conflicts, limits."""

from __future__ import annotations

import requests

V3 = "/crm/v3"


def _session(sandbox) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {sandbox.token}"
    return s


def _upsert(s, sandbox, inputs, object_type="contacts"):
    return s.post(f"{sandbox.url}{V3}/objects/{object_type}/batch/upsert", json={"inputs": inputs})


def _contact(pid, **props):
    return {"id": pid, "idProperty": "revloop_person_id", "properties": props}


def test_batch_upsert_200_creates_then_updates(sandbox):
    s = _session(sandbox)
    r = _upsert(
        s,
        sandbox,
        [
            _contact("per_1", email="A@x.com", revloop_score=10),
            _contact("per_2", revloop_existing_customer=True),
        ],
    )
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "COMPLETE" and "errors" not in body
    assert [x["new"] for x in body["results"]] == [True, True]
    first_id = body["results"][0]["id"]
    assert body["results"][0]["properties"]["email"] == "a@x.com"  # HubSpot lower-cases emails
    assert body["results"][0]["properties"]["revloop_score"] == "10"  # values come back as strings
    assert body["results"][1]["properties"]["revloop_existing_customer"] == "true"
    again = _upsert(s, sandbox, [_contact("per_1", revloop_score=87.5, revloop_grade="A")]).json()
    assert again["results"][0]["id"] == first_id and again["results"][0]["new"] is False
    got = s.get(
        f"{sandbox.url}{V3}/objects/contacts/per_1",
        params={"idProperty": "revloop_person_id", "properties": "revloop_score,email"},
    ).json()
    assert got["id"] == first_id
    assert got["properties"]["revloop_score"] == "87.5"
    assert got["properties"]["email"] == "a@x.com"
    by_email = s.post(
        f"{sandbox.url}{V3}/objects/contacts/batch/read",
        json={
            "idProperty": "email",
            "properties": ["revloop_grade"],
            "inputs": [{"id": "a@X.com"}, {"id": "nobody@x.com"}],
        },
    )
    assert by_email.status_code == 207
    assert [x["properties"]["revloop_grade"] for x in by_email.json()["results"]] == ["A"]
    assert by_email.json()["errors"][0]["context"]["ids"] == ["nobody@x.com"]
    assert s.get(f"{sandbox.url}{V3}/objects/contacts/999999").status_code == 404


def test_batch_upsert_with_bad_values_is_400_for_the_whole_batch(sandbox):
    """As the portal does: one invalid value (or unknown property) refuses the batch with 400
    VALIDATION_ERROR naming the properties and their codes, and nothing is written."""
    s = _session(sandbox)
    r = _upsert(
        s,
        sandbox,
        [
            _contact("ok", revloop_score="5"),
            _contact("bad_number", revloop_score="high"),
            _contact("bad_prop", no_such_property="x"),
            _contact("bad_date", revloop_mql_date="31/12/2026"),
        ],
    )
    assert r.status_code == 400
    body = r.json()
    assert body["category"] == "VALIDATION_ERROR"
    assert {e["code"] for e in body["errors"]} == {
        "INVALID_DECIMAL",
        "PROPERTY_DOESNT_EXIST",
        "INVALID_DATE",
    }
    assert s.get(f"{sandbox.url}{V3}/objects/contacts").json()["results"] == []


def test_duplicate_unique_value_is_409_for_the_whole_batch(sandbox):
    s = _session(sandbox)
    assert (
        _upsert(
            s, sandbox, [_contact("p1", email="one@x.com"), _contact("p2", email="two@x.com")]
        ).status_code
        == 200
    )
    r = _upsert(
        s, sandbox, [_contact("p3", email="three@x.com"), _contact("p2", email="ONE@x.com")]
    )
    assert r.status_code == 409
    body = r.json()
    assert body["status"] == "error" and body["category"] == "CONFLICT"
    assert "correlationId" in body
    # nothing of the refused batch was written
    read = s.post(
        f"{sandbox.url}{V3}/objects/contacts/batch/read",
        json={
            "idProperty": "revloop_person_id",
            "properties": ["email"],
            "inputs": [{"id": "p2"}, {"id": "p3"}],
        },
    ).json()
    assert [x["properties"]["email"] for x in read["results"]] == ["two@x.com"]


def test_malformed_batches_are_400_validation_error(sandbox):
    s = _session(sandbox)
    dup = _upsert(s, sandbox, [_contact("same"), _contact("SAME")])
    assert dup.status_code == 400 and dup.json()["category"] == "VALIDATION_ERROR"
    big = _upsert(s, sandbox, [_contact(f"p{i}") for i in range(101)])
    assert big.status_code == 400 and big.json()["category"] == "VALIDATION_ERROR"
    not_unique = _upsert(s, sandbox, [{"id": "x", "idProperty": "firstname", "properties": {}}])
    assert not_unique.status_code == 400
    r = requests.post(f"{sandbox.url}{V3}/objects/contacts/batch/upsert", json={"inputs": []})
    assert r.status_code == 401 and r.json()["category"] == "INVALID_AUTHENTICATION"


def test_rate_limit_429_with_hubspot_headers(sandbox):
    s = _session(sandbox)
    sandbox.configure(hubspot_rate_limit=3, hubspot_rate_interval_ms=10_000)
    responses = [s.get(f"{sandbox.url}{V3}/objects/companies") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r.headers["X-HubSpot-RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
    limited = responses[3]
    assert limited.headers["X-HubSpot-RateLimit-Max"] == "3"
    assert limited.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert 1 <= int(limited.headers["Retry-After"]) <= 10
    assert limited.json()["errorType"] == "RATE_LIMIT" and limited.json()["status"] == "error"


def test_forced_rate_limit_burst(sandbox):
    s = _session(sandbox)
    sandbox.configure_faults(rate_limit_burst=2, target="hubspot")
    statuses = [s.get(f"{sandbox.url}{V3}/objects/contacts").status_code for _ in range(3)]
    assert statuses == [429, 429, 200]


def test_list_paging_and_properties(sandbox):
    s = _session(sandbox)
    _upsert(
        s,
        sandbox,
        [
            {
                "id": f"acc_{i}",
                "idProperty": "revloop_account_id",
                "properties": {"name": f"Co {i}", "revloop_ltv": i * 100},
            }
            for i in range(5)
        ],
        "companies",
    )
    names, after, pages = [], None, 0
    while True:
        params = {"limit": 2, "properties": "name"}
        if after:
            params["after"] = after
        page = s.get(f"{sandbox.url}{V3}/objects/companies", params=params).json()
        pages += 1
        names += [x["properties"]["name"] for x in page["results"]]
        after = page.get("paging", {}).get("next", {}).get("after")
        if not after:
            break
    assert (pages, names) == (3, [f"Co {i}" for i in range(5)])

    props = s.get(f"{sandbox.url}{V3}/properties/contacts").json()["results"]
    by_name = {p["name"]: p for p in props}
    assert by_name["revloop_person_id"]["hasUniqueValue"] is True
    assert by_name["revloop_score"]["type"] == "number"
    new = s.post(
        f"{sandbox.url}{V3}/properties/contacts",
        json={
            "name": "revloop_segment",
            "label": "Segment",
            "type": "string",
            "fieldType": "text",
            "groupName": "revloop",
        },
    )
    assert new.status_code == 201
    again = s.post(
        f"{sandbox.url}{V3}/properties/contacts",
        json={"name": "revloop_segment", "type": "string", "fieldType": "text"},
    )
    assert again.status_code == 409
    assert _upsert(s, sandbox, [_contact("p", revloop_segment="smb")]).status_code == 200


def test_empty_string_clears_a_property_of_any_type(sandbox):
    """HubSpot clears number/date/bool properties sent as "" (the mirror sync relies on it)."""
    s = _session(sandbox)
    props = {"revloop_score": 42, "revloop_mql_date": "2026-01-05", "revloop_lost_deal": True}
    assert _upsert(s, sandbox, [_contact("per_clear", **props)]).status_code == 200
    cleared = {k: "" for k in props}
    r = _upsert(s, sandbox, [_contact("per_clear", **cleared)])
    assert r.status_code == 200, r.text
    got = s.get(
        f"{sandbox.url}{V3}/objects/contacts/per_clear",
        params={"idProperty": "revloop_person_id", "properties": ",".join(props)},
    ).json()["properties"]
    assert all(got.get(k) in ("", None) for k in props), got
