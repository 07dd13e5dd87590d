"""The live extractor against a real HTTP stub on 127.0.0.1 that speaks the Salesforce query
contract (bearer auth, nextRecordsUrl paging, queryAll, 401/429/5xx faults)."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
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

TOKEN = "s3cret-token-value"
PAGE_SIZE = 2


class StubSalesforce:
    """In-memory records per object, with a queue of faults to serve before real answers."""

    def __init__(self) -> None:
        self.records: dict[str, list[dict]] = {}
        self.faults: list[tuple[int, dict[str, str]]] = []
        self.requests: list[str] = []
        self.cursors: dict[str, list[dict]] = {}

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict, dict[str, str]]:
        if self.faults:
            status, headers = self.faults.pop(0)
            return status, [{"errorCode": "FAULT", "message": "injected"}], headers
        if "/query/" in path or "/queryAll/" in path:
            cursor = path.rsplit("/", 1)[1]
            remaining = self.cursors.pop(cursor)
            return 200, self._page(remaining, len(remaining)), {}
        soql = query["q"][0]
        obj = re.search(r" FROM (\w+)", soql).group(1)
        fields = re.search(r"SELECT (.+) FROM", soql).group(1).split(", ")
        found = list(self.records.get(obj, []))
        where = re.search(r"WHERE (\w+) >= (\S+)", soql)
        if where:  # like Salesforce: compared to the second
            field, literal = where.groups()
            mark = literal.replace("Z", "")
            found = [r for r in found if r[field][:19] >= mark]
        if not path.endswith("queryAll"):
            found = [r for r in found if not r.get("IsDeleted")]
        order = re.search(r"ORDER BY (\w+)", soql)
        if order:
            found.sort(key=lambda r: r[order.group(1)])
        found = [{"attributes": r["attributes"], **{f: r.get(f) for f in fields}} for r in found]
        return 200, self._page(found, len(found)), {}

    def _page(self, found: list[dict], total: int) -> dict:
        page, rest = found[:PAGE_SIZE], found[PAGE_SIZE:]
        body: dict = {"totalSize": total, "done": not rest, "records": page}
        if rest:
            cursor = f"01gSTUB{len(self.cursors) + len(self.requests)}-{PAGE_SIZE}"
            self.cursors[cursor] = rest
            body["nextRecordsUrl"] = f"/services/data/v62.0/query/{cursor}"
        return body


@pytest.fixture
def stub() -> Iterator[tuple[StubSalesforce, str]]:
    state = StubSalesforce()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            parsed = urlparse(self.path)
            state.requests.append(self.path)
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                status, body, headers = 401, [{"errorCode": "INVALID_SESSION_ID"}], {}
            else:
                status, body, headers = state.answer(parsed.path, parse_qs(parsed.query))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def fast_client(url: str, token: str = TOKEN, **kw: object) -> SalesforceClient:
    return SalesforceClient(url, token, backoff_base=0.01, backoff_cap=1.0, timeout=5, **kw)


def test_full_then_incremental_pull_with_paging_and_deletions(
    stub: tuple[StubSalesforce, str], tmp_path: Path
):
    state, url = stub
    state.records["Lead"] = [sf_lead(n) for n in range(1, 6)]  # modstamps 03-03 .. 03-07
    out = tmp_path / "extracts"
    first = extract_salesforce(out, url, TOKEN, ["Lead"], client=fast_client(url))
    assert (first["Lead"]["records"], first["Lead"]["pages"]) == (5, 3)
    assert first["Lead"]["high_water"] == "2026-03-07T10:00:00.000+0000"
    assert all(
        p.startswith("salesforce/Lead/") and p.endswith(".json") for p in first["Lead"]["files"]
    )
    assert not [p for p in (out / "salesforce/Lead").iterdir() if p.name.startswith(".")]

    # Lead 2 is edited and lead 3 deleted after the first run.
    state.records["Lead"][1] = sf_lead(
        2, Status="Qualified", SystemModstamp="2026-04-01T00:00:00.000+0000"
    )
    state.records["Lead"][2] = sf_lead(
        3, IsDeleted=True, SystemModstamp="2026-04-02T00:00:00.000+0000"
    )
    time.sleep(1.1)  # the page files are named by the run's UTC second
    second = extract_salesforce(out, url, TOKEN, ["Lead"], client=fast_client(url))
    assert second["Lead"]["records"] == 2
    assert "WHERE SystemModstamp >= 2026-03-07T10:00:00Z" in second["Lead"]["soql"]
    assert all("/queryAll?" in r for r in state.requests if "q=" in r)

    warehouse = tmp_path / "w.duckdb"
    report = load_source(warehouse, out, "salesforce")
    assert report.ok and report.rows_loaded == 7
    newest = rows(
        warehouse,
        'SELECT "Id", "Status", "IsDeleted" FROM raw.salesforce__lead '
        'QUALIFY row_number() OVER (PARTITION BY "Id" ORDER BY "SystemModstamp" DESC) = 1 '
        "AND \"Id\" IN ('00Q000000000000002', '00Q000000000000003') ORDER BY 1",
    )
    assert newest == [
        ("00Q000000000000002", "Qualified", False),
        ("00Q000000000000003", "Working", True),
    ]


def test_soql_datetime_literal():
    assert soql_datetime("2026-03-02T10:04:05.000+0900") == "2026-03-02T01:04:05Z"
    assert soql_datetime("2026-03-02T01:04:05Z") == "2026-03-02T01:04:05Z"


def test_objects_without_systemmodstamp_use_createddate_or_full_pull():
    specs = {s.name: s for s in object_specs()}
    assert specs["Lead"].watermark == "SystemModstamp" and specs["Lead"].query_all
    assert specs["LeadHistory"].watermark == "CreatedDate"
    assert specs["User"].watermark is None
    assert build_soql(specs["User"], "2026-01-01T00:00:00.000+0000") == (
        "SELECT Id, Name, Email, Department, IsActive FROM User"
    )


def test_retries_429_with_retry_after_and_5xx(stub: tuple[StubSalesforce, str], tmp_path: Path):
    state, url = stub
    state.records["Lead"] = [sf_lead(1)]
    state.faults = [(429, {"Retry-After": "0.3"}), (503, {}), (500, {})]
    client = fast_client(url)
    started = time.monotonic()
    result = extract_salesforce(tmp_path, url, TOKEN, ["Lead"], client=client)
    assert result["Lead"]["records"] == 1
    assert client.retries == 3
    assert time.monotonic() - started >= 0.3  # Retry-After honoured


def test_gives_up_after_max_retries(stub: tuple[StubSalesforce, str], tmp_path: Path):
    state, url = stub
    state.faults = [(503, {})] * 10
    with pytest.raises(SalesforceError, match="HTTP 503 .* after 2 retries"):
        extract_salesforce(tmp_path, url, TOKEN, ["Lead"], client=fast_client(url, max_retries=2))
    assert len(state.requests) == 3


def test_401_raises_auth_error_without_the_token(stub: tuple[StubSalesforce, str], tmp_path: Path):
    _, url = stub
    bad = "wrong-" + TOKEN
    with pytest.raises(SalesforceAuthError) as info:
        extract_salesforce(tmp_path, url, bad, ["Lead"], client=fast_client(url, token=bad))
    assert "401" in str(info.value) and bad not in str(info.value) and TOKEN not in str(info.value)


def test_connection_errors_are_retried_then_reported(tmp_path: Path):
    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    client = fast_client(url, max_retries=2)
    with pytest.raises(SalesforceError, match="ConnectionError .* after 2 retries"):
        extract_salesforce(tmp_path, url, TOKEN, ["User"], client=client)
    assert client.retries == 2
