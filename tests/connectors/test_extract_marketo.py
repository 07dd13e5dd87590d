"""The Marketo extractor against the bundled sandbox (a real HTTP server speaking the identity
and Bulk Extract contract), then the loader on the files it wrote.

The sandbox is seeded from a hand-made export folder: lead 1 created 2026-08-20 and updated
2026-10-20, lead 2 created and last updated 2026-09-15; activities on 2026-08-21, 2026-09-16
and 2026-10-20. A pull from 2026-08-15 to 2026-10-25 (71 days) needs three jobs: 31 + 31 + 9
days. Files are named by window, and the loader's contract reads them as they come.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from test_load_helpers import MARKETO_LEAD_HEADER, csv_text, marketo_lead, rows

from connectors.extract.marketo_api import MarketoClient, extract_marketo, windows
from connectors.load import load_source
from sandbox.marketo_api import CLIENT_ID
from sandbox.server import SandboxHandle, start_background

SECRET = "marketo-client-secret-value"
SINCE = datetime(2026, 8, 15, tzinfo=UTC)
UNTIL = datetime(2026, 10, 25, tzinfo=UTC)
ACT_HEADER = [
    "marketoGUID", "leadId", "activityDate", "activityTypeId", "campaignId",
    "primaryAttributeValueId", "primaryAttributeValue", "attributes",
]  # fmt: skip


def _activity(guid: str, lead: str, at: str, url: str) -> dict[str, str]:
    return {
        "marketoGUID": guid, "leadId": lead, "activityDate": at, "activityTypeId": "1",
        "campaignId": "null", "primaryAttributeValueId": "null", "primaryAttributeValue": url,
        "attributes": json.dumps({"Webpage URL": url, "Query Parameters": "utm_source=x"}),
    }  # fmt: skip


@pytest.fixture(scope="module")
def mkto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    root = tmp_path_factory.mktemp("marketo_extract")
    leads = [
        marketo_lead("1", createdAt="2026-08-20T00:00:00Z", updatedAt="2026-08-20T00:00:00Z"),
        marketo_lead("2", createdAt="2026-09-15T00:00:00Z", updatedAt="2026-09-15T00:00:00Z"),
        marketo_lead("1", createdAt="2026-08-20T00:00:00Z", updatedAt="2026-10-20T00:00:00Z",
                     leadScore="95"),
    ]  # fmt: skip
    text = csv_text(leads).replace(",,", ",null,").replace(",,", ",null,")
    acts = [
        _activity("g1", "1", "2026-08-21T10:00:00Z", "/pricing"),
        _activity("g2", "2", "2026-09-16T10:00:00Z", "/"),
        _activity("g3", "1", "2026-10-20T10:00:00Z", "/compare"),
    ]
    for rel, body in [
        ("leads/2026-10-20.csv", text),
        ("activities/2026-10-20.csv", csv_text(acts, ACT_HEADER)),
    ]:
        path = root / "seed" / "marketo" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    with start_background(0, root / "sb.sqlite", root / "seed", SECRET) as handle:
        yield handle


class RecordingSession(requests.Session):
    """A real session that remembers what it sent (method, URL, headers)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str, dict]] = []

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        self.sent.append((method, url, dict(kwargs.get("headers") or {})))
        return super().request(method, url, *args, **kwargs)


def _client(mkto: SandboxHandle, session: requests.Session) -> MarketoClient:
    return MarketoClient(mkto.url, CLIENT_ID, SECRET, backoff_base=0.01, session=session)


def test_windows_are_at_most_31_days_without_gaps() -> None:
    got = windows(SINCE, UNTIL)
    assert [(w.end - w.start).days for w in got] == [31, 31, 9]
    assert all(a.end == b.start for a, b in zip(got, got[1:], strict=False))


def test_pull_load_and_pull_again(
    mkto: SandboxHandle, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Three jobs per entity, never more than two in flight; the token travels only as a
    bearer header and the secret only in the token request's body; nothing logs either."""
    out, wh = tmp_path / "extracts", tmp_path / "w.duckdb"
    session = RecordingSession()
    caplog.set_level(logging.DEBUG)
    first = extract_marketo(
        out, mkto.url, CLIENT_ID, SECRET, since=SINCE, until=UNTIL, poll_seconds=0.05,
        client=_client(mkto, session),
    )  # fmt: skip
    assert first == {
        "leads": {"files": 3, "records": 2},  # lead 1 once: its newest version (Oct 20)
        "activities": {"files": 3, "records": 3},
    }
    names = sorted(p.name for p in (out / "marketo" / "leads").iterdir())
    assert names == [
        "20260815T000000Z-20260915T000000Z.csv",
        "20260915T000000Z-20261016T000000Z.csv",
        "20261016T000000Z-20261025T000000Z.csv",
    ]
    in_flight = peak = 0
    for _method, url, _ in session.sent:
        in_flight += url.endswith("/create.json") - url.endswith("/file.json")
        peak = max(peak, in_flight)
    assert peak == 2
    token_calls = [s for s in session.sent if "/identity/" in s[1]]
    assert token_calls and all(SECRET not in url for _, url, _ in session.sent)
    bearer = {h.get("Authorization") for _, url, h in session.sent if "/bulk/" in url}
    (header,) = bearer
    token = header.removeprefix("Bearer ")
    assert token and token not in caplog.text and SECRET not in caplog.text
    assert all(token not in r["query"] for r in mkto.request_log())

    report = load_source(wh, out, "marketo")
    assert report.ok, report.summary()
    assert rows(wh, "SELECT id, leadScore FROM raw.marketo__leads ORDER BY id") == [
        ("1", 95),
        ("2", 35),
    ]
    got = rows(
        wh,
        "SELECT marketoGUID, attributes->>'$.\"Webpage URL\"', campaignId "
        "FROM raw.marketo__activities ORDER BY 1",
    )
    assert got == [("g1", "/pricing", None), ("g2", "/", None), ("g3", "/compare", None)]

    # Next run: only the window since the mark; nothing new in it.
    again = extract_marketo(
        out, mkto.url, CLIENT_ID, SECRET, until=datetime(2026, 10, 30, tzinfo=UTC),
        poll_seconds=0.05, client=_client(mkto, RecordingSession()),
    )  # fmt: skip
    assert again == {
        "leads": {"files": 1, "records": 0},
        "activities": {"files": 1, "records": 0},
    }
    state = json.loads((out / "marketo" / "_extract_state.json").read_text())
    assert state == {"leads": "2026-10-30T00:00:00Z", "activities": "2026-10-30T00:00:00Z"}
    assert load_source(wh, out, "marketo").rows_loaded == 0  # header-only files: empty


def test_a_dropped_download_resumes_with_range(mkto: SandboxHandle, tmp_path: Path) -> None:
    """The sandbox starts the first file download whole (200, full Content-Length) and cuts
    the socket after 40 body bytes. Read in 16-byte chunks, the extractor has written two
    whole chunks (32 bytes) when the third breaks, so it asks for the rest with
    ``Range: bytes=32-`` (answered 206), then checks the file's size and SHA-256."""
    out = tmp_path / "extracts"
    session = RecordingSession()
    client = MarketoClient(
        mkto.url, CLIENT_ID, SECRET, backoff_base=0.01, session=session, download_chunk_bytes=16
    )
    mkto.configure_faults(target="marketo", path="/file.json", truncate_body_bytes=40, max_faults=1)
    try:
        extract_marketo(
            out, mkto.url, CLIENT_ID, SECRET, entities=("leads",), since=SINCE, until=UNTIL,
            poll_seconds=0.05, client=client,
        )  # fmt: skip
    finally:
        mkto.configure_faults()
    downloads = [
        (r["status"], r["fault"]) for r in mkto.request_log() if r["path"].endswith("/file.json")
    ]
    assert (200, "truncated_body") in downloads and (206, None) in downloads, downloads
    ranges = [h.get("Range") for _, url, h in session.sent if url.endswith("/file.json")]
    assert "bytes=32-" in ranges  # the first file was fetched again from byte 32
    ids = []
    for path in sorted((out / "marketo" / "leads").glob("*.csv")):
        got = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
        assert path.read_text(encoding="utf-8").startswith(",".join(MARKETO_LEAD_HEADER) + "\n")
        ids += [r["id"] for r in got]
    assert sorted(ids) == ["1", "2"]  # every file whole (size and SHA-256 checked)
    assert not list((out / "marketo" / "leads").glob(".*.part"))


def test_an_expired_token_is_renewed_and_the_call_repeated(
    mkto: SandboxHandle, tmp_path: Path
) -> None:
    session = RecordingSession()
    client = _client(mkto, session)
    client.call("GET", "/rest/v1/leads/describe.json")
    client._token = "revoked-or-expired"  # noqa: SLF001 - what Marketo's 601/602 means
    body = client.call("GET", "/rest/v1/leads/describe.json")
    assert body["success"] is True
    assert sum("/identity/" in url for _, url, _ in session.sent) == 2


def test_wrong_credentials_fail_clearly(mkto: SandboxHandle, tmp_path: Path) -> None:
    from connectors.extract.marketo_api import MarketoAuthError

    with pytest.raises(MarketoAuthError, match="MARKETO_CLIENT_SECRET"):
        extract_marketo(tmp_path, mkto.url, CLIENT_ID, "wrong", since=SINCE, until=UNTIL)


@pytest.mark.parametrize(
    ("faults", "retries"),
    [
        ({"error_rate": 1.0, "status_code": 503, "max_faults": 2}, 2),  # Marketo down briefly
        ({"rate_limit_burst": 2}, 2),  # 606 "Max rate limit exceeded" (HTTP 200, success false)
        ({"drop_connection_rate": 1.0, "max_faults": 1}, 1),  # connection killed, no answer
        ({"drop_connection_rate": 1.0, "path": "/file.json", "max_faults": 1}, 1),
    ],
    ids=["503", "606", "killed", "killed-download"],
)
def test_faults_the_sandbox_injects_are_retried(
    mkto: SandboxHandle, tmp_path: Path, faults: dict, retries: int
) -> None:
    """The sandbox injects the fault on the first calls to the Marketo API (identity
    included, but for 606, which Marketo's identity service does not send); the pull still
    writes the same 2 leads in 3 files as a healthy one, after ``retries`` waits of the
    client's backoff (0.01 x 2^k s with jitter: at most 0.01, 0.02), recorded, not slept."""
    waits: list[float] = []
    client = MarketoClient(
        mkto.url, CLIENT_ID, SECRET, backoff_base=0.01, session=RecordingSession(),
        sleep=waits.append,
    )  # fmt: skip
    before = len(mkto.request_log())
    mkto.configure_faults(target="marketo", seed=1, **faults)
    try:
        got = extract_marketo(
            tmp_path, mkto.url, CLIENT_ID, SECRET, entities=("leads",), since=SINCE,
            until=UNTIL, poll_seconds=0.05, client=client,
        )  # fmt: skip
        log = mkto.request_log()[before:]
        fired = [r["fault"] for r in log if r["api"] == "marketo" and r["fault"]]
    finally:
        mkto.configure_faults()
    assert got == {"leads": {"files": 3, "records": 2}}
    assert len(fired) == retries and len(waits) == retries
    assert all(0.005 <= w <= 0.01 * 2**k for k, w in enumerate(waits))
