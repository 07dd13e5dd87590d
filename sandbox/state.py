"""Runtime state of one sandbox process: configuration, injected faults, rate limits, request log.

Kept apart from the SQLite store because none of it is CRM data: a restart clears it.
"""

from __future__ import annotations

import random
import secrets
import time
from collections import deque
from dataclasses import asdict, dataclass, fields

from sandbox.schema import Schema
from sandbox.sf_records import Clock
from sandbox.store import Store


@dataclass
class SandboxConfig:
    """Tunables; every one can be set through create_app(config=...) or POST /__admin/config."""

    sf_page_size: int = 2000
    sf_daily_api_limit: int = 100_000
    sf_collection_limit: int = 200
    bulk_polls_in_progress: int = 1  # GETs answering InProgress before JobComplete
    hubspot_rate_limit: int = 190
    hubspot_rate_interval_ms: int = 10_000
    hubspot_batch_limit: int = 100
    hubspot_search_rate_per_s: int = 5  # CRM search: a secondly limit of its own
    request_log_size: int = 50_000
    # Salesforce OAuth (/services/oauth2/token): issued access tokens expire after
    # sf_token_ttl_s seconds or after sf_token_max_calls API calls (0 = no call limit), and
    # the static sandbox token is accepted on the Salesforce API only while
    # sf_static_token_allowed is 1 (set 0 to make a client prove it can do OAuth)
    sf_token_ttl_s: int = 7200
    sf_token_max_calls: int = 0
    sf_static_token_allowed: int = 1

    @classmethod
    def from_dict(cls, values: dict | None) -> SandboxConfig:
        config = cls()
        config.update(values or {})
        return config

    def update(self, values: dict) -> None:
        known = {f.name: f.type for f in fields(self)}
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"unknown sandbox config key {key!r}; known: {sorted(known)}")
            setattr(self, key, int(value))

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Faults:
    """Injected failures (POST /__admin/faults); they apply to API paths, never to /__admin."""

    error_rate: float = 0.0
    status_code: int = 503
    rate_limit_burst: int = 0
    latency_ms: int = 0
    drop_connection_rate: float = 0.0
    # the request is applied (the handler runs and commits), then the connection is dropped
    # before the answer is sent: what a client sees when a proxy or the network loses a reply
    lost_response_rate: float = 0.0
    # the answer starts whole (status, full Content-Length) and the connection is cut after
    # this many body bytes: a download dropped mid-transfer, which a client resumes with Range
    truncate_body_bytes: int = 0
    seed: int | None = None
    target: str = "all"  # all | salesforce | hubspot | marketo
    # narrow a fault to one kind of request, e.g. {"lost_response_rate": 1, "method": "POST",
    # "path": "/jobs/ingest", "max_faults": 1}: the first Bulk job create is applied and its
    # answer lost, and nothing else is touched
    method: str = ""  # HTTP method, "" = any
    path: str = ""  # substring of the request path, "" = any
    max_faults: int = 0  # stop injecting after this many faults, 0 = no limit
    fired: int = 0  # faults injected so far (read-only)

    def applies_to(self, api: str, method: str = "", path: str = "") -> bool:
        if self.max_faults and self.fired >= self.max_faults:
            return False
        if self.method and method.upper() != self.method.upper():
            return False
        if self.path and self.path not in path:
            return False
        return self.target in ("all", api)


@dataclass
class OAuthToken:
    client_id: str
    username: str
    expires_at: float  # time.monotonic()
    calls_left: int | None  # None = no call budget


class HubSpotRateLimiter:
    """Rolling window like HubSpot's private-app ten-secondly limit."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.hits: deque[float] = deque()

    def _trim(self, now: float) -> None:
        window = self.config.hubspot_rate_interval_ms / 1000
        while self.hits and self.hits[0] <= now - window:
            self.hits.popleft()

    def acquire(self) -> tuple[bool, int, float]:
        """(allowed, remaining, seconds until a slot frees)."""
        now = time.monotonic()
        self._trim(now)
        limit = self.config.hubspot_rate_limit
        if len(self.hits) >= limit:
            wait = self.hits[0] + self.config.hubspot_rate_interval_ms / 1000 - now
            return False, 0, max(wait, 0.0)
        self.hits.append(now)
        return True, limit - len(self.hits), 0.0

    def reset(self) -> None:
        self.hits.clear()


class SandboxState:
    def __init__(self, store: Store, schema: Schema, token: str, config: SandboxConfig) -> None:
        self.store = store
        self.schema = schema
        self.token = token
        self.config = config
        self.clock = Clock()
        self.faults = Faults()
        self.rng = random.Random()
        self.request_log: deque[dict] = deque(maxlen=config.request_log_size)
        self.hubspot_limiter = HubSpotRateLimiter(config)
        self.sf_api_calls = 0
        self.sf_api_day = time.strftime("%Y-%m-%d", time.gmtime())
        self.cursors: dict[str, dict] = {}
        self.seed_summary: dict = {}
        self.search_hits: deque[float] = deque()
        # OAuth: connected apps registered through /__admin/oauth, issued access tokens
        self.connected_apps: dict[str, dict] = {}
        self.oauth_tokens: dict[str, OAuthToken] = {}

    def search_allowed(self) -> bool:
        """HubSpot's CRM search limit: at most `hubspot_search_rate_per_s` calls per second."""
        now = time.monotonic()
        while self.search_hits and self.search_hits[0] <= now - 1.0:
            self.search_hits.popleft()
        if len(self.search_hits) >= self.config.hubspot_search_rate_per_s:
            return False
        self.search_hits.append(now)
        return True

    def issue_token(self, client_id: str, username: str) -> str:
        token = "00DRL0000000001!" + secrets.token_urlsafe(24)
        self.oauth_tokens[token] = OAuthToken(
            client_id,
            username,
            time.monotonic() + self.config.sf_token_ttl_s,
            self.config.sf_token_max_calls or None,
        )
        while len(self.oauth_tokens) > 1000:
            self.oauth_tokens.pop(next(iter(self.oauth_tokens)))
        return token

    def salesforce_token_ok(self, token: str) -> bool:
        """An issued, unexpired OAuth token (each call counts against its call budget)."""
        issued = self.oauth_tokens.get(token)
        if issued is None:
            return False
        if time.monotonic() >= issued.expires_at or issued.calls_left == 0:
            self.oauth_tokens.pop(token, None)
            return False
        if issued.calls_left is not None:
            issued.calls_left -= 1
        return True

    def expire_tokens(self) -> int:
        """Expire every issued access token now (what a session timeout does)."""
        count = len(self.oauth_tokens)
        self.oauth_tokens.clear()
        return count

    def set_faults(self, values: dict) -> Faults:
        allowed = {f.name for f in fields(Faults)}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"unknown fault keys {sorted(unknown)}; known: {sorted(allowed)}")
        faults = Faults(**values)
        shares = (faults.error_rate, faults.drop_connection_rate, faults.lost_response_rate)
        if not all(0 <= share <= 1 for share in shares):
            raise ValueError(
                "error_rate, drop_connection_rate and lost_response_rate are shares between 0 and 1"
            )
        if faults.truncate_body_bytes < 0:
            raise ValueError("truncate_body_bytes is a number of bytes, 0 = off")
        if faults.target not in ("all", "salesforce", "hubspot", "marketo"):
            raise ValueError("target must be all, salesforce, hubspot or marketo")
        self.faults = faults
        self.rng = random.Random(faults.seed)
        return faults

    def count_sf_call(self) -> bool:
        """Count one Salesforce API call against the daily limit; False once it is exceeded."""
        today = time.strftime("%Y-%m-%d", time.gmtime())
        if today != self.sf_api_day:
            self.sf_api_day, self.sf_api_calls = today, 0
        if self.sf_api_calls >= self.config.sf_daily_api_limit:
            return False
        self.sf_api_calls += 1
        return True

    def reset(self) -> None:
        self.clock.unpin()
        self.faults = Faults()
        self.rng = random.Random()
        self.request_log.clear()
        self.hubspot_limiter.reset()
        self.sf_api_calls = 0
        self.cursors.clear()
        self.search_hits.clear()
        self.oauth_tokens.clear()
