"""Runtime state of one sandbox process: configuration, injected faults, rate limits, request log.

Kept apart from the SQLite store because none of it is CRM data: a restart clears it.
"""

from __future__ import annotations

import random
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
    request_log_size: int = 50_000

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
    seed: int | None = None
    target: str = "all"  # all | salesforce | hubspot

    def applies_to(self, api: str) -> bool:
        return self.target in ("all", api)


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

    def set_faults(self, values: dict) -> Faults:
        allowed = {f.name for f in fields(Faults)}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"unknown fault keys {sorted(unknown)}; known: {sorted(allowed)}")
        faults = Faults(**values)
        if not 0 <= faults.error_rate <= 1 or not 0 <= faults.drop_connection_rate <= 1:
            raise ValueError("error_rate and drop_connection_rate are shares between 0 and 1")
        if faults.target not in ("all", "salesforce", "hubspot"):
            raise ValueError("target must be all, salesforce or hubspot")
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
        self.faults = Faults()
        self.rng = random.Random()
        self.request_log.clear()
        self.hubspot_limiter.reset()
        self.sf_api_calls = 0
        self.cursors.clear()
