"""The live Salesforce extractor against the bundled sandbox: a real HTTP server on 127.0.0.1
speaking the REST query contract (bearer auth, ``nextRecordsUrl`` paging, ``queryAll`` with
deleted rows, ``WHERE SystemModstamp >= ...``), with the sandbox's own fault injection for what
an org really sends when it is unwell: 5xx, Salesforce's 403 ``REQUEST_LIMIT_EXCEEDED`` for
the concurrency limit (no ``Retry-After``), and connections dropped mid-request.

Seeded world (a hand-made export page, ``sf_lead``): five leads with SystemModstamps
2026-03-03 .. 2026-03-07 10:00 UTC. The sandbox's record clock is pinned, so the edit and the
deletion between the two pulls get known stamps (2026-04-01T00:00:00Z and one second later).
No test sleeps: the client's wait between retries is a recorded call, not a real pause.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from test_load_helpers import rows, sf_lead

from connectors.extract.salesforce_api import (
    SalesforceAuthError,
    SalesforceClient,
    SalesforceError,
    build_soql,
    extract_salesforce,
    object_specs,
    soql_datetime,
)
from connectors.load import load_source
from sandbox.server import SandboxHandle, start_background

TOKEN = "s3cret-token-value"
API = "/services/data/v62.0"
LEAD_IDS = [f"00Q{n:015d}" for n in range(1, 6)]


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    """One sandbox for the module, seeded with the five leads; each test resets the faults."""
    root = tmp_path_factory.mktemp("sf_extract")
    seed = root / "export" / "salesforce" / "Lead"
    seed.mkdir(parents=True)
    page = {"totalSize": 5, "done": True, "records": [sf_lead(n) for n in range(1, 6)]}
    (seed / "20260308T000000Z-0001.json").write_text(json.dumps(page), encoding="utf-8")
    handle = start_background(0, root / "sb.sqlite", root / "export", TOKEN)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def sf(org: SandboxHandle) -> Iterator[SandboxHandle]:
    org.configure_faults()  # none
    org.configure(sf_page_size=2)
    yield org
    org.configure_faults()
    org.configure(sf_page_size=2000)


class Waits:
    """Stands in for ``time.sleep`` in the client: records each wait, returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def client_for(url: str, token: str = TOKEN, **kw: object) -> tuple[SalesforceClient, Waits]:
    waits = Waits()
    client = SalesforceClient(
        url, token, backoff_base=0.5, backoff_cap=8.0, timeout=30, sleep=waits, **kw
    )
    return client, waits


def _api_calls(org: SandboxHandle, since: int) -> list[dict]:
    return [r for r in org.request_log()[since:] if r["api"] == "salesforce"]


def test_full_then_incremental_pull_with_paging_and_deletions(
    sf: SandboxHandle, tmp_path: Path
) -> None:
    """First pull: 5 leads in pages of 2 = 3 pages; high-water = the newest stamp, 03-07.
    Then lead 2 is edited (stamp 04-01 00:00:00) and lead 3 deleted (04-01 00:00:01) through
    the REST API. Second pull: ``WHERE SystemModstamp >= 2026-03-07T10:00:00Z`` over queryAll
    finds lead 5 (at the mark, already seen: skipped), lead 2 and deleted lead 3 = 2 records.
    Loaded: 5 + 2 = 7 versions; the newest of lead 2 is Qualified, of lead 3 IsDeleted."""
    out = tmp_path / "extracts"
    client, _ = client_for(sf.url)
    first = extract_salesforce(out, sf.url, TOKEN, ["Lead"], client=client)
    assert (first["Lead"]["records"], first["Lead"]["pages"]) == (5, 3)
    assert first["Lead"]["high_water"] == "2026-03-07T10:00:00.000+0000"
    assert all(
        p.startswith("salesforce/Lead/") and p.endswith(".json") for p in first["Lead"]["files"]
    )
    assert not [p for p in (out / "salesforce/Lead").iterdir() if p.name.startswith(".")]

    headers = {"Authorization": f"Bearer {TOKEN}"}
    sf.set_clock(now="2026-04-01T00:00:00+00:00")
    try:
        edited = requests.patch(
            f"{sf.url}{API}/composite/sobjects",
            headers=headers,
            json={
                "records": [
                    {"attributes": {"type": "Lead"}, "Id": LEAD_IDS[1], "Status": "Qualified"}
                ]
            },
            timeout=30,
        )
        assert edited.json()[0]["success"] is True, edited.text
        sf.set_clock(advance_s=1)
        deleted = requests.delete(
            f"{sf.url}{API}/sobjects/Lead/{LEAD_IDS[2]}", headers=headers, timeout=30
        )
        assert deleted.status_code == 204, deleted.text
    finally:
        sf.set_clock(now=None)

    # Same UTC second as the first pull or not: the run picks file names no run used.
    client, _ = client_for(sf.url)
    second = extract_salesforce(out, sf.url, TOKEN, ["Lead"], client=client)
    assert second["Lead"]["records"] == 2
    assert "WHERE SystemModstamp >= 2026-03-07T10:00:00Z" in second["Lead"]["soql"]
    assert set(second["Lead"]["files"]).isdisjoint(first["Lead"]["files"])
    queries = [r for r in sf.request_log() if "q=" in r["query"]]
    assert queries and all(r["path"].endswith("/queryAll") for r in queries)

    warehouse = tmp_path / "w.duckdb"
    report = load_source(warehouse, out, "salesforce")
    assert report.ok and report.rows_loaded == 7
    newest = rows(
        warehouse,
        'SELECT "Id", "Status", "IsDeleted" FROM raw.salesforce__lead '
        'QUALIFY row_number() OVER (PARTITION BY "Id" ORDER BY "SystemModstamp" DESC) = 1 '
        f"AND \"Id\" IN ('{LEAD_IDS[1]}', '{LEAD_IDS[2]}') ORDER BY 1",
    )
    assert newest == [(LEAD_IDS[1], "Qualified", False), (LEAD_IDS[2], "Working", True)]


def test_soql_datetime_literal() -> None:
    assert soql_datetime("2026-03-02T10:04:05.000+0900") == "2026-03-02T01:04:05Z"
    assert soql_datetime("2026-03-02T01:04:05Z") == "2026-03-02T01:04:05Z"


def test_objects_without_systemmodstamp_use_createddate_or_full_pull() -> None:
    specs = {s.name: s for s in object_specs()}
    assert specs["Lead"].watermark == "SystemModstamp" and specs["Lead"].query_all
    assert specs["LeadHistory"].watermark == "CreatedDate"
    assert specs["User"].watermark is None
    assert build_soql(specs["User"], "2026-01-01T00:00:00.000+0000") == (
        "SELECT Id, Name, Email, Department, IsActive FROM User"
    )


def test_5xx_and_the_concurrency_limit_are_retried(sf: SandboxHandle, tmp_path: Path) -> None:
    """The sandbox answers the first two calls 503 and then (its rate-limit burst) 403
    REQUEST_LIMIT_EXCEEDED "ConcurrentPerOrgLongTxn" twice: four retries, then the 3 pages.
    The client waited four times, each within its backoff (jitter in [d/2, d], d = 0.5 x 2^k
    capped at 8 s: at most 0.5, 1, 2, 4 s) -- recorded, not slept."""
    sf.configure_faults(error_rate=1.0, status_code=503, max_faults=2, seed=1)
    before = len(sf.request_log())
    client, waits = client_for(sf.url)
    result = extract_salesforce(tmp_path, sf.url, TOKEN, ["Lead"], client=client)
    sf.configure_faults(rate_limit_burst=2)
    client2, waits2 = client_for(sf.url)
    again = extract_salesforce(tmp_path / "b", sf.url, TOKEN, ["Lead"], client=client2)
    assert result["Lead"]["records"] == 5 and again["Lead"]["records"] == 5
    assert client.retries == 2 and client2.retries == 2
    statuses = [r["status"] for r in _api_calls(sf, before)]
    assert statuses[:2] == [503, 503] and statuses.count(403) == 2
    for k, delay in enumerate(waits.delays + waits2.delays):
        assert 0.5 * 2 ** (k % 2) / 2 <= delay <= 0.5 * 2 ** (k % 2)


def test_a_dropped_connection_is_retried(sf: SandboxHandle, tmp_path: Path) -> None:
    """The sandbox kills the connection of the first call (no answer at all): one retry."""
    sf.configure_faults(drop_connection_rate=1.0, max_faults=1, seed=1)
    client, waits = client_for(sf.url)
    result = extract_salesforce(tmp_path, sf.url, TOKEN, ["Lead"], client=client)
    assert result["Lead"]["records"] == 5 and client.retries == 1 and len(waits.delays) == 1


def test_the_daily_limit_is_not_retried(sf: SandboxHandle, tmp_path: Path) -> None:
    """403 REQUEST_LIMIT_EXCEEDED "TotalRequests" (the org's daily API budget) will not clear
    in minutes: the extractor stops at once and says so; nothing is written, no state."""
    daily_max = int(
        requests.get(
            f"{sf.url}{API}/limits", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
        ).json()["DailyApiRequests"]["Max"]
    )
    sf.configure(sf_daily_api_limit=1)  # the calls so far (at least /limits) have spent it
    try:
        client, waits = client_for(sf.url)
        with pytest.raises(SalesforceError, match="HTTP 403 .*TotalRequests"):
            extract_salesforce(tmp_path, sf.url, TOKEN, ["Lead"], client=client)
    finally:
        sf.configure(sf_daily_api_limit=daily_max)
    assert waits.delays == [] and not (tmp_path / "salesforce" / "_extract_state.json").exists()


def test_gives_up_after_max_retries_and_a_rerun_repeats(sf: SandboxHandle, tmp_path: Path):
    """Every call 500: max_retries=2 means 3 calls, then a clear error; the state file does
    not advance, so the next (healthy) run pulls all 5 leads again."""
    sf.configure_faults(error_rate=1.0, status_code=500, seed=1)
    before = len(sf.request_log())
    client, _ = client_for(sf.url, max_retries=2)
    with pytest.raises(SalesforceError, match="HTTP 500 .* after 2 retries"):
        extract_salesforce(tmp_path, sf.url, TOKEN, ["Lead"], client=client)
    assert [r["status"] for r in _api_calls(sf, before)] == [500, 500, 500]
    assert not (tmp_path / "salesforce" / "_extract_state.json").exists()
    sf.configure_faults()
    client, _ = client_for(sf.url)
    assert (
        extract_salesforce(tmp_path, sf.url, TOKEN, ["Lead"], client=client)["Lead"]["records"] == 5
    )


def test_killed_mid_object_repeats_the_object(sf: SandboxHandle, tmp_path: Path) -> None:
    """The connection dies on page 2 of 3 and the client has no retries left (a process
    killed there looks the same on disk): page 1 is on disk, but the mark does not move, so
    the next run pulls all 5 again; raw then holds lead 1 and 2 twice, identical versions,
    which staging counts once."""
    sf.configure_faults(drop_connection_rate=1.0, path="/query/", max_faults=1, seed=1)
    client, _ = client_for(sf.url, max_retries=0)
    with pytest.raises(SalesforceError, match="ConnectionError"):
        extract_salesforce(tmp_path, sf.url, TOKEN, ["Lead"], client=client)
    assert len(list((tmp_path / "salesforce" / "Lead").glob("*.json"))) == 1
    assert not (tmp_path / "salesforce" / "_extract_state.json").exists()
    client, _ = client_for(sf.url)
    again = extract_salesforce(tmp_path, sf.url, TOKEN, ["Lead"], client=client)
    assert again["Lead"]["records"] == 5
    warehouse = tmp_path / "w.duckdb"
    assert load_source(warehouse, tmp_path, "salesforce").rows_loaded == 7
    assert rows(
        warehouse, 'SELECT count(DISTINCT ("Id", "SystemModstamp")) FROM raw.salesforce__lead'
    ) == [(5,)]


def test_401_raises_auth_error_without_the_token(sf: SandboxHandle, tmp_path: Path) -> None:
    bad = "wrong-" + TOKEN
    client, _ = client_for(sf.url, token=bad)
    with pytest.raises(SalesforceAuthError) as info:
        extract_salesforce(tmp_path, sf.url, bad, ["Lead"], client=client)
    assert "401" in str(info.value) and bad not in str(info.value) and TOKEN not in str(info.value)


def test_connection_refused_is_retried_then_reported(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    client, waits = client_for(url, max_retries=2)
    with pytest.raises(SalesforceError, match="ConnectionError .* after 2 retries"):
        extract_salesforce(tmp_path, url, TOKEN, ["User"], client=client)
    assert client.retries == 2 and len(waits.delays) == 2
