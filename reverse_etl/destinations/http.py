"""Shared HTTP plumbing for CRM destinations: retries with backoff, and the error types.

Why one helper: both CRMs fail the same ways (5xx storms, dropped connections, 429 with
Retry-After), and every retry decision must be bounded and identical so a sync either makes
progress or stops with a message that says what to do. The bearer token lives only in the
session headers; nothing here logs headers or bodies.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass

import requests

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({500, 502, 503, 504})


class DestinationError(RuntimeError):
    """A destination call failed in a way that stops the sync (state kept for what was sent)."""


class DestinationAuthError(DestinationError):
    """The CRM rejected the token (401); fix the access token env var and re-run."""


class DestinationRateLimited(DestinationError):
    """The CRM's API limit is exhausted; the sync stops cleanly and resumes on the next run."""


class DestinationUnavailable(DestinationError):
    """Retries exhausted on 5xx/timeouts/dropped connections."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with full jitter."""

    max_attempts: int = 6
    base_delay: float = 0.2
    max_delay: float = 20.0
    max_retry_after: float = 60.0
    connect_timeout: float = 5.0
    read_timeout: float = 60.0

    def backoff(self, attempt: int) -> float:
        """Delay before retry number `attempt` (1-based): uniform in [0, base·2^(attempt-1)]."""
        cap = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return random.uniform(cap / 2, cap)


def retry_after_seconds(response: requests.Response, default: float) -> float:
    """Seconds to wait from Retry-After (seconds form) or HubSpot's interval header."""
    value = response.headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
    interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
    if interval and response.headers.get("X-HubSpot-RateLimit-Remaining") == "0":
        try:
            return max(0.0, float(interval) / 1000.0)
        except ValueError:
            pass
    return default


def send_with_retry(
    session: requests.Session,
    method: str,
    url: str,
    policy: RetryPolicy,
    *,
    what: str,
    counter: list[int] | None = None,
    attempts_out: list[int] | None = None,
    **kwargs: object,
) -> requests.Response:
    """Send one request, retrying transient failures; return the first non-transient response.

    `what` names the call in errors/logs (e.g. "Salesforce upsert Lead batch 3"); `counter`
    (a one-element list) is incremented per HTTP attempt so callers can report API calls.
    Retried: connection errors, timeouts, 500/502/503/504, 429 (after Retry-After) and
    Salesforce's 403 REQUEST_LIMIT_EXCEEDED for the concurrency limit (no Retry-After: the
    message tells it from the daily limit, which is not retried). `attempts_out` (a
    one-element list) receives the number of attempts: more than one means an earlier
    attempt may have been applied with its answer lost.
    """
    last_problem = ""
    for attempt in range(1, policy.max_attempts + 1):
        if counter is not None:
            counter[0] += 1
        if attempts_out is not None:
            attempts_out[0] = attempt
        try:
            response = session.request(
                method, url, timeout=(policy.connect_timeout, policy.read_timeout), **kwargs
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            last_problem = f"{type(exc).__name__}"
            delay = policy.backoff(attempt)
        else:
            # 429, or Salesforce's 403 REQUEST_LIMIT_EXCEEDED *with* Retry-After (a concurrency
            # limit that clears in seconds; without Retry-After it is the daily limit: stop)
            if response.status_code == 429 or (
                response.status_code == 403 and "Retry-After" in response.headers
            ):
                last_problem = f"HTTP {response.status_code} rate limited"
                delay = min(
                    policy.max_retry_after, retry_after_seconds(response, policy.backoff(attempt))
                )
            elif response.status_code == 403 and _concurrency_limited(response):
                last_problem = "HTTP 403 concurrency limit"
                delay = policy.backoff(attempt + 2)  # seconds, not milliseconds, to clear
            elif response.status_code in RETRYABLE_STATUS:
                last_problem = f"HTTP {response.status_code}"
                delay = policy.backoff(attempt)
            else:
                return response
        if attempt == policy.max_attempts:
            break
        log.warning(
            "%s: %s (attempt %d/%d), retrying in %.2fs",
            what,
            last_problem,
            attempt,
            policy.max_attempts,
            delay,
        )
        time.sleep(delay)
    if last_problem.endswith("rate limited") or last_problem.endswith("concurrency limit"):
        raise DestinationRateLimited(
            f"{what}: still rate limited after {policy.max_attempts} attempts; the sync stopped "
            "cleanly and resumes from its state on the next run"
        )
    raise DestinationUnavailable(
        f"{what}: gave up after {policy.max_attempts} attempts (last: {last_problem}); "
        "records not confirmed are re-sent on the next run"
    )


def _concurrency_limited(response: requests.Response) -> bool:
    """403 REQUEST_LIMIT_EXCEEDED for a concurrent-request limit (ConcurrentPerOrgLongTxn,
    ConcurrentRequests): clears in seconds, unlike TotalRequests (the daily limit)."""
    text = response.text[:500]
    return "REQUEST_LIMIT_EXCEEDED" in text and "concurrent" in text.lower()


def make_session(token: str) -> requests.Session:
    """A session carrying the bearer token; the token is never put anywhere else."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    session.headers["Accept"] = "application/json"
    return session
