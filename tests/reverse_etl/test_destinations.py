"""Destination clients on their own, over a real socket against the sandbox.

Retry bounds, Retry-After, pacing and batching are checked by counting what the sandbox
logged, not by trusting the client's own counters.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reverse_etl.destinations import (
    DestinationUnavailable,
    HubSpotDestination,
    OutboundRecord,
    RetryPolicy,
    SalesforceDestination,
    WriteRequest,
)
from reverse_etl.destinations.hubspot import RequestPacer

TOKEN = "dest-test-token"


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from sandbox.server import start_background

    handle = start_background(0, tmp_path_factory.mktemp("d") / "crm.sqlite", None, TOKEN)
    yield handle
    handle.stop()


@pytest.fixture(autouse=True)
def _clean(crm: object) -> Iterator[None]:
    crm.reset()  # type: ignore[attr-defined]  # faults, request log, limiter; keeps data
    yield
    crm.reset()  # type: ignore[attr-defined]
    crm.configure(hubspot_rate_limit=190, hubspot_rate_interval_ms=10_000)  # type: ignore[attr-defined]


def contacts(prefix: str, n: int) -> list[OutboundRecord]:
    return [OutboundRecord(f"{prefix}{i}@ex.com", {"revloop_score": i}, "create") for i in range(n)]


def test_backoff_is_bounded_with_jitter() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    for attempt, cap in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        delays = [policy.backoff(attempt) for _ in range(200)]
        assert all(cap / 2 <= d <= cap for d in delays)
        assert len({round(d, 6) for d in delays}) > 100  # jitter, not a fixed schedule


def test_retries_stop_after_max_attempts(crm: object) -> None:
    crm.configure_faults(error_rate=1.0, status_code=502, target="hubspot")  # type: ignore[attr-defined]
    dest = HubSpotDestination(crm.url, TOKEN, retry=RetryPolicy(max_attempts=4, base_delay=0.01))  # type: ignore[attr-defined]
    request = WriteRequest("contacts", "email", "upsert", contacts("x", 3), batch_size=100)
    with pytest.raises(DestinationUnavailable, match="gave up after 4 attempts .*HTTP 502"):
        list(dest.write(request))
    log = crm.request_log()  # type: ignore[attr-defined]
    assert [r["status"] for r in log] == [502, 502, 502, 502] and dest.api_calls == 4


def test_hubspot_paces_on_rate_limit_headers(crm: object) -> None:
    crm.configure(hubspot_rate_limit=3, hubspot_rate_interval_ms=1000)  # type: ignore[attr-defined]
    dest = HubSpotDestination(
        crm.url,
        TOKEN,
        pacer=RequestPacer(1000, 10.0),  # type: ignore[attr-defined]
        retry=RetryPolicy(max_attempts=6, base_delay=0.01),
    )
    request = WriteRequest("contacts", "email", "upsert", contacts("ra", 50), batch_size=10)
    started = time.monotonic()
    results = [r for batch in dest.write(request) for r in batch.results]
    elapsed = time.monotonic() - started
    assert len(results) == 50 and all(r.success for r in results)
    # X-HubSpot-RateLimit-Remaining: 0 after the 3rd call → the client waits, never hits 429
    assert [r["status"] for r in crm.request_log()] == [200] * 5  # type: ignore[attr-defined]
    assert elapsed >= 1.0


def test_hubspot_honours_429_retry_after(crm: object) -> None:
    crm.configure_faults(rate_limit_burst=2, target="hubspot")  # type: ignore[attr-defined]
    dest = HubSpotDestination(crm.url, TOKEN, retry=RetryPolicy(max_attempts=4, base_delay=0.01))  # type: ignore[attr-defined]
    request = WriteRequest("contacts", "email", "upsert", contacts("rb", 20), batch_size=10)
    started = time.monotonic()
    results = [r for batch in dest.write(request) for r in batch.results]
    elapsed = time.monotonic() - started
    assert len(results) == 20 and all(r.success for r in results)
    assert [r["status"] for r in crm.request_log()] == [429, 429, 200, 200]  # type: ignore[attr-defined]
    assert elapsed >= 2.0  # Retry-After: 1 honoured twice (backoff alone would be ~0.02 s)


class FakeClock:
    """A clock that only moves when the code under test sleeps (plus a fixed cost per call)."""

    def __init__(self, cost: float = 0.0) -> None:
        self.now, self.cost, self.sleeps = 100.0, cost, []

    def __call__(self) -> float:
        self.now += self.cost
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def test_pacer_keeps_any_window_under_the_limit() -> None:
    """5 requests per 0.4 s, 12 calls, each call costing 0.01 s of clock: calls 1-5 start at
    once; call 6 waits until the first start is 0.4 s old, call 11 until the sixth is; so
    exactly two sleeps, the 12 starts span ≥ 0.8 s, and no 0.4 s window holds 6 starts."""
    clock = FakeClock(cost=0.01)
    pacer = RequestPacer(max_requests=5, window=0.4, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(12):
        pacer.wait()
        starts.append(clock.now)
    assert len(clock.sleeps) == 2
    assert starts[-1] - starts[0] >= 0.8
    for i, t in enumerate(starts):
        assert sum(1 for u in starts[i:] if u - t < 0.4) <= 5


def test_pacer_never_sleeps_under_the_limit() -> None:
    """190 requests in a 10 s window: 190 calls back to back never wait; the 191st waits for
    the window to slide (first start + 10 s)."""
    clock = FakeClock(cost=0.001)
    pacer = RequestPacer(190, 10.0, clock=clock, sleep=clock.sleep)
    for _ in range(190):
        pacer.wait()
    assert clock.sleeps == []
    pacer.wait()
    assert len(clock.sleeps) == 1 and 9.0 < clock.sleeps[0] <= 10.0


def test_hubspot_batches_of_100(crm: object) -> None:
    dest = HubSpotDestination(crm.url, TOKEN)  # type: ignore[attr-defined]
    request = WriteRequest("contacts", "email", "upsert", contacts("b", 250), batch_size=100)
    batches = list(dest.write(request))
    assert [len(b.results) for b in batches] == [100, 100, 50]
    created = [r.created for b in batches for r in b.results]
    assert all(created) and dest.api_calls == 3
    assert [r["records"] for r in crm.request_log()] == [100, 100, 50]  # type: ignore[attr-defined]
    # same records again: updates, no new objects
    again = [r for b in dest.write(request) for r in b.results]
    assert not any(r.created for r in again)
    assert {r.destination_id for r in again} == {
        r.destination_id for b in batches for r in b.results
    }


def test_salesforce_collections_and_bulk_give_same_per_record_results(crm: object) -> None:
    dest = SalesforceDestination(crm.url, TOKEN)  # type: ignore[attr-defined]
    recs = [
        OutboundRecord(f"sfb_{i}", {"LastName": f"B{i}", "Revloop_Grade__c": "A"})
        for i in range(450)
    ]
    recs[5] = OutboundRecord("sfb_5", {"LastName": "B5", "Revloop_Grade__c": "TOO LONG"})
    rest = WriteRequest("Contact", "Revloop_Person_Id__c", "upsert", recs, 200, 10_000)
    out = [r for b in dest.write(rest) for r in b.results]
    assert dest.api_calls == 3 and len(out) == 450
    assert [r.key for r in out if not r.success] == ["sfb_5"]
    assert next(r for r in out if not r.success).error_code == "STRING_TOO_LONG"
    bulk = WriteRequest("Contact", "Revloop_Person_Id__c", "upsert", recs, 200, 100)
    calls = dest.api_calls
    (job,) = list(dest.write(bulk))
    assert job.method == "bulk" and dest.api_calls - calls <= 7
    by_key = {r.key: r for r in job.results}
    assert len(by_key) == 450 and not by_key["sfb_5"].success
    assert by_key["sfb_5"].error_code == "STRING_TOO_LONG"
    assert sum(1 for r in job.results if r.created) == 0  # bulk upsert updated what REST made
    assert {r.destination_id for r in out if r.success} == {
        r.destination_id for r in job.results if r.success
    }


def test_token_absent_from_repr_and_errors(crm: object, tmp_path: Path) -> None:
    dest = SalesforceDestination(crm.url, TOKEN)  # type: ignore[attr-defined]
    assert TOKEN not in repr(dest) and TOKEN not in repr(HubSpotDestination(crm.url, TOKEN))  # type: ignore[attr-defined]
