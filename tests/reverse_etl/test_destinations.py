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
        max_in_flight=1,  # one at a time: the header alone must stop the next call
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
    dest = HubSpotDestination(
        crm.url,  # type: ignore[attr-defined]
        TOKEN,
        retry=RetryPolicy(max_attempts=4, base_delay=0.01),
        max_in_flight=1,  # one at a time: the two waits add up
    )
    request = WriteRequest("contacts", "email", "upsert", contacts("rb", 20), batch_size=10)
    started = time.monotonic()
    results = [r for batch in dest.write(request) for r in batch.results]
    elapsed = time.monotonic() - started
    assert len(results) == 20 and all(r.success for r in results)
    assert [r["status"] for r in crm.request_log()] == [429, 429, 200, 200]  # type: ignore[attr-defined]
    assert elapsed >= 2.0  # Retry-After: 1 honoured twice (backoff alone would be ~0.02 s)


def overlap(log: list[dict]) -> int:
    """The most requests the sandbox was serving at one instant (its own clock)."""
    edges = sorted(
        (t, step)
        for r in log
        for t, step in ((r["started_s"], 1), (r["started_s"] + r["duration_ms"] / 1000, -1))
    )
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


def test_hubspot_keeps_batches_in_flight_and_yields_them_in_order(crm: object) -> None:
    """8 batches of 10 with 0.3 s of latency per call and 4 in flight: the sandbox serves up
    to 4 at once (its request log), never more, and the results come back in the records'
    order, each one written; one at a time the sandbox never serves two at once."""
    crm.configure_faults(latency_ms=300, target="hubspot")  # type: ignore[attr-defined]
    request = WriteRequest("contacts", "email", "upsert", contacts("if", 80), batch_size=10)
    dest = HubSpotDestination(crm.url, TOKEN, max_in_flight=4)  # type: ignore[attr-defined]
    batches = list(dest.write(request))
    results = [r for b in batches for r in b.results]
    assert [r.key for r in results] == [f"if{i}@ex.com" for i in range(80)]
    assert all(r.success for r in results) and [len(b.results) for b in batches] == [10] * 8
    log = crm.request_log()  # type: ignore[attr-defined]
    assert len(log) == 8 and 2 <= overlap(log) <= 4
    assert dest.api_calls == 8
    crm.reset()  # type: ignore[attr-defined]  # the log; the latency stays
    crm.configure_faults(latency_ms=300, target="hubspot")  # type: ignore[attr-defined]
    again = WriteRequest("contacts", "email", "upsert", contacts("if", 30), batch_size=10)
    list(HubSpotDestination(crm.url, TOKEN, max_in_flight=1).write(again))  # type: ignore[attr-defined]
    assert overlap(crm.request_log()) == 1  # type: ignore[attr-defined]


def test_hubspot_follows_the_limit_the_portal_announces_with_batches_in_flight(
    crm: object,
) -> None:
    """The portal allows 5 requests per second (X-HubSpot-RateLimit-Max 5, Interval 1000) and
    the client starts at 190 per 10 s with 4 in flight. After the first answer it paces to
    5 per second: 20 batches take at least 3 s (starts 0-4, 5-9 after 1 s, ...), every
    record is written, and at most the 4 first requests in flight can meet a 429 (retried
    after Retry-After). Without following the header, each `Remaining: 0` stops only the
    thread that read it and the other three run into 429s window after window."""
    crm.configure(hubspot_rate_limit=5, hubspot_rate_interval_ms=1000)  # type: ignore[attr-defined]
    dest = HubSpotDestination(
        crm.url,  # type: ignore[attr-defined]
        TOKEN,
        retry=RetryPolicy(max_attempts=8, base_delay=0.01),
        max_in_flight=4,
    )
    request = WriteRequest("contacts", "email", "upsert", contacts("fl", 100), batch_size=5)
    started = time.monotonic()
    results = [r for batch in dest.write(request) for r in batch.results]
    elapsed = time.monotonic() - started
    assert len(results) == 100 and all(r.success for r in results)
    statuses = [r["status"] for r in crm.request_log()]  # type: ignore[attr-defined]
    assert statuses.count(200) == 20 and statuses.count(429) <= 4, statuses
    assert elapsed >= 3.0
    assert (dest.pacer.max_requests, dest.pacer.window) == (5, 1.0)


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
    """5 requests per 0.4 s, 12 calls one after another (each answered at once), each clock
    read costing 0.01 s: calls 1-5 start at once; call 6 waits until the first answer is
    0.4 s old, call 11 until the sixth is; so exactly two sleeps, the 12 starts span ≥ 0.8 s,
    and no 0.4 s window holds 6 starts."""
    clock = FakeClock(cost=0.01)
    pacer = RequestPacer(max_requests=5, window=0.4, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(12):
        pacer.wait()
        starts.append(clock.now)
        pacer.done()
    assert len(clock.sleeps) == 2
    assert starts[-1] - starts[0] >= 0.8
    for i, t in enumerate(starts):
        assert sum(1 for u in starts[i:] if u - t < 0.4) <= 5


def test_pacer_never_sleeps_under_the_limit() -> None:
    """190 requests in a 10 s window: 190 calls back to back never wait; the 191st waits for
    the window to slide (first answer + 10 s)."""
    clock = FakeClock(cost=0.001)
    pacer = RequestPacer(190, 10.0, clock=clock, sleep=clock.sleep)
    for _ in range(190):
        pacer.wait()
        pacer.done()
    assert clock.sleeps == []
    pacer.wait()
    assert len(clock.sleeps) == 1 and 9.0 < clock.sleeps[0] <= 10.0


def test_pacer_counts_the_requests_in_flight() -> None:
    """2 per 1 s (fake clock). Two requests started and not answered fill the window: a third
    caller blocks (no sleep: it waits for an answer) until one is answered; then the window
    holds one answer and one in flight, so it sleeps out that answer's second and starts."""
    import threading

    clock = FakeClock()
    pacer = RequestPacer(2, 1.0, clock=clock, sleep=clock.sleep)
    pacer.wait()
    pacer.wait()
    started = threading.Event()

    def third() -> None:
        pacer.wait()
        started.set()

    caller = threading.Thread(target=third)
    caller.start()
    assert not started.wait(0.3) and clock.sleeps == []
    pacer.done()
    assert started.wait(5.0)
    caller.join()
    assert clock.sleeps == [1.0]


def test_pacer_saturated_waits_for_its_oldest_request_only() -> None:
    """5 per 1 s (fake clock), two requests answered at t = 100.0 and 100.5. The server says
    the window is full (another client spent the rest): the next start waits until the
    first answer is 1 s old (0.5 s after the second), not a whole window from now; then
    three more go without waiting (the padding left the window with the first)."""
    clock = FakeClock()
    pacer = RequestPacer(5, 1.0, clock=clock, sleep=clock.sleep)
    pacer.wait()
    pacer.done()
    clock.now += 0.5
    pacer.wait()
    pacer.done()
    pacer.saturate()
    pacer.wait()
    pacer.done()
    assert clock.sleeps == [0.5]
    for _ in range(3):
        pacer.wait()
        pacer.done()
    assert clock.sleeps == [0.5]


def test_hubspot_waits_out_a_window_another_client_spent(crm: object) -> None:
    """The portal allows 5 requests per second and another integration has just sent 4.
    revloop's first batch gets the last one (`Remaining: 0`); the next two wait until that
    request is a second old, so no call meets a 429. Without the wait the second batch would
    run into the other client's requests (429, then Retry-After)."""
    import requests

    crm.configure(hubspot_rate_limit=5, hubspot_rate_interval_ms=1000)  # type: ignore[attr-defined]
    for _ in range(4):
        requests.get(
            f"{crm.url}/crm/v3/objects/contacts",  # type: ignore[attr-defined]
            params={"limit": 1},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        ).raise_for_status()
    dest = HubSpotDestination(crm.url, TOKEN, max_in_flight=1)  # type: ignore[attr-defined]
    request = WriteRequest("contacts", "email", "upsert", contacts("sat", 30), batch_size=10)
    started = time.monotonic()
    results = [r for b in dest.write(request) for r in b.results]
    elapsed = time.monotonic() - started
    assert len(results) == 30 and all(r.success for r in results)
    assert [r["status"] for r in crm.request_log()] == [200] * 7  # type: ignore[attr-defined]
    assert 0.9 <= elapsed < 3.0


def test_hubspot_batches_of_100(crm: object) -> None:
    dest = HubSpotDestination(crm.url, TOKEN)  # type: ignore[attr-defined]
    request = WriteRequest("contacts", "email", "upsert", contacts("b", 250), batch_size=100)
    batches = list(dest.write(request))
    assert [len(b.results) for b in batches] == [100, 100, 50]
    created = [r.created for b in batches for r in b.results]
    assert all(created) and dest.api_calls == 3
    # the sandbox logs the batches as they finish: with several in flight, in any order
    assert sorted(r["records"] for r in crm.request_log()) == [50, 100, 100]  # type: ignore[attr-defined]
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
