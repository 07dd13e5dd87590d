"""Where the sandbox used to be kinder than the vendors (issue 18, finding 10 and build 3/4).

Each test talks to the `sandbox` fixture over a real socket with plain `requests`, the way
the vendors' own clients (simple-salesforce, hubspot-api-client) do, and checks the answer
the vendor documents: a batch with one bad HubSpot value is refused whole (400), an
unknown property too; Salesforce field names are case-insensitive (`"id"` in a collection
update); the concurrency limit comes as 403 without Retry-After; a fault can apply a request
and lose its answer; the OAuth token endpoint issues tokens that expire.
"""

from __future__ import annotations

import base64
import json
import time

import pytest
import requests

API = "/services/data/v62.0"


def hs(sandbox, method: str, path: str, **kw) -> requests.Response:
    return requests.request(
        method,
        sandbox.url + "/crm/v3" + path,
        headers={"Authorization": f"Bearer {sandbox.token}"},
        timeout=30,
        **kw,
    )


def sf(sandbox, method: str, path: str, token: str | None = None, **kw) -> requests.Response:
    return requests.request(
        method,
        sandbox.url + API + path,
        headers={"Authorization": f"Bearer {token or sandbox.token}"},
        timeout=30,
        **kw,
    )


def test_hubspot_batch_with_one_bad_value_is_refused_whole(sandbox) -> None:
    """Input 2 of 3 carries "abc" for the number property revloop_score: the portal answers
    400 VALIDATION_ERROR for the batch (naming the property, not the input) and writes
    nothing; an unknown property is refused the same way (it was a 207 with a per-record
    error before)."""
    inputs = [
        {"id": f"v{i}@ex.com", "idProperty": "email", "properties": {"revloop_score": s}}
        for i, s in enumerate([1, "abc", 3])
    ]
    r = hs(sandbox, "POST", "/objects/contacts/batch/upsert", json={"inputs": inputs})
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["category"] == "VALIDATION_ERROR" and "revloop_score" in body["message"]
    assert "v1@ex.com" not in json.dumps(body)  # the portal does not say which input
    listed = hs(sandbox, "GET", "/objects/contacts", params={"limit": 100}).json()["results"]
    assert listed == []
    inputs = [{"id": "u@ex.com", "idProperty": "email", "properties": {"no_such_prop": "x"}}]
    r = hs(sandbox, "POST", "/objects/contacts/batch/upsert", json={"inputs": inputs})
    assert r.status_code == 400 and "PROPERTY_DOESNT_EXIST" in r.text


def test_hubspot_batch_update_never_creates_and_search_finds_by_domain(sandbox) -> None:
    """batch/update by record id: a missing (archived) id refuses the batch with 404
    OBJECT_NOT_FOUND naming it, and nothing is re-created; search IN on domain is
    case-insensitive and NOT_HAS_PROPERTY finds companies without revloop's key."""
    made = hs(
        sandbox,
        "POST",
        "/objects/companies/batch/upsert",
        json={
            "inputs": [
                {
                    "id": "acc_1",
                    "idProperty": "revloop_account_id",
                    "properties": {"domain": "a.jp"},
                }
            ]
        },
    ).json()["results"][0]["id"]
    r = hs(
        sandbox,
        "POST",
        "/objects/contacts/batch/upsert",
        json={
            "inputs": [
                {"id": "gone@ex.com", "idProperty": "email", "properties": {"revloop_score": 1}}
            ]
        },
    )
    gone_id = r.json()["results"][0]["id"]
    assert hs(sandbox, "DELETE", f"/objects/contacts/{gone_id}").status_code == 204
    r = hs(
        sandbox,
        "POST",
        "/objects/contacts/batch/update",
        json={"inputs": [{"id": gone_id, "properties": {"revloop_score": ""}}]},
    )
    assert r.status_code == 404 and r.json()["context"]["ids"] == [gone_id]
    assert hs(sandbox, "GET", "/objects/contacts").json()["results"] == []
    # a portal company without revloop_account_id (created by a user)
    hs(sandbox, "POST", "/properties/companies", json={"name": "x_flag", "type": "string"})
    r = hs(
        sandbox,
        "POST",
        "/objects/companies/batch/upsert",
        json={"inputs": [{"id": "B.JP", "idProperty": "domain", "properties": {}}]},
    )
    assert r.status_code == 400  # domain is not a unique property: no upsert by it
    body = {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": "domain", "operator": "IN", "values": ["A.JP", "b.jp"]},
                ]
            }
        ],
        "properties": ["domain", "revloop_account_id"],
        "limit": 100,
    }
    found = hs(sandbox, "POST", "/objects/companies/search", json=body).json()
    assert [x["id"] for x in found["results"]] == [made] and found["total"] == 1
    body["filterGroups"][0]["filters"].append(
        {"propertyName": "revloop_account_id", "operator": "NOT_HAS_PROPERTY"}
    )
    assert hs(sandbox, "POST", "/objects/companies/search", json=body).json()["total"] == 0


def test_salesforce_field_names_case_insensitive_and_403_without_retry_after(sandbox) -> None:
    """The vendor's own sObject Collections example sends "id": accepted as Id. The
    concurrency limit answers 403 REQUEST_LIMIT_EXCEEDED without a Retry-After header."""
    rid = sf(sandbox, "POST", "/sobjects/Lead", json={"LastName": "K", "Company": "C"}).json()["id"]
    r = sf(
        sandbox,
        "PATCH",
        "/composite/sobjects",
        json={
            "allOrNone": False,
            "records": [{"attributes": {"type": "Lead"}, "id": rid, "revloop_score__c": 7}],
        },
    )
    assert r.status_code == 200 and r.json()[0]["success"], r.text
    got = sf(sandbox, "GET", f"/sobjects/Lead/{rid}", params={"fields": "Revloop_Score__c"})
    assert got.json()["Revloop_Score__c"] == 7.0
    sandbox.configure_faults(rate_limit_burst=1, target="salesforce")
    r = sf(sandbox, "GET", "/limits")
    assert r.status_code == 403 and r.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    assert "Retry-After" not in r.headers


def test_lost_response_fault_applies_the_request(sandbox) -> None:
    """lost_response_rate=1: the create is committed, then the connection drops before the
    answer: the client sees a connection error, the CRM holds the record."""
    sandbox.configure_faults(lost_response_rate=1.0, target="salesforce", seed=1)
    with pytest.raises(requests.ConnectionError):
        sf(sandbox, "POST", "/sobjects/Lead", json={"LastName": "Lost", "Company": "C"})
    sandbox.configure_faults()
    rows = sf(sandbox, "GET", "/query", params={"q": "SELECT Id FROM Lead WHERE LastName = 'Lost'"})
    assert rows.json()["totalSize"] == 1
    log = sandbox.request_log()
    assert [(x["status"], x["fault"]) for x in log if x["method"] == "POST"] == [
        (201, "lost_response")
    ]


def _jwt(claims: dict, key) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "RS256"}).encode()) + "." + b64(json.dumps(claims).encode())
    return head + "." + b64(key.sign(head.encode(), padding.PKCS1v15(), hashes.SHA256()))


def test_oauth_refresh_token_and_jwt_bearer_tokens_expire(sandbox) -> None:
    """Refresh-token and JWT bearer grants issue access tokens; a token dies after
    sf_token_max_calls = 2 API calls (401 INVALID_SESSION_ID on the third); wrong secrets,
    audiences and users get Salesforce's OAuth errors."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    sandbox.register_connected_app(
        client_id="cid",
        client_secret="sec",
        refresh_token="rt",
        username="sync@acme.example",
        public_key_pem=pem,
    )
    sandbox.configure(sf_static_token_allowed=0, sf_token_max_calls=2)
    assert sf(sandbox, "GET", "/limits").status_code == 401  # static token refused now
    token_url = sandbox.url + "/services/oauth2/token"
    grant = {"grant_type": "refresh_token", "client_id": "cid", "client_secret": "sec"}
    bad = requests.post(token_url, data={**grant, "refresh_token": "nope"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    ok = requests.post(token_url, data={**grant, "refresh_token": "rt"}, timeout=10).json()
    assert ok["instance_url"] == sandbox.url and ok["token_type"] == "Bearer"
    assert "expires_in" not in ok  # Salesforce does not say; the 401 does
    codes = [sf(sandbox, "GET", "/limits", token=ok["access_token"]).status_code for _ in range(3)]
    assert codes == [200, 200, 401]
    claims = {"iss": "cid", "sub": "sync@acme.example", "aud": "https://login.salesforce.com"}
    claims["exp"] = int(time.time()) + 120
    jwt_grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    r = requests.post(token_url, data={"grant_type": jwt_grant, "assertion": _jwt(claims, key)})
    assert r.status_code == 200, r.text
    assert sf(sandbox, "GET", "/limits", token=r.json()["access_token"]).status_code == 200
    other = dict(claims, sub="someone@else.example")
    r = requests.post(token_url, data={"grant_type": jwt_grant, "assertion": _jwt(other, key)})
    assert r.json() == {
        "error": "invalid_grant",
        "error_description": "user hasn't approved this consumer",
    }
    wrong_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    r = requests.post(
        token_url, data={"grant_type": jwt_grant, "assertion": _jwt(claims, wrong_key)}
    )
    assert r.json()["error_description"] == "invalid assertion"
