"""CRM destinations: one module per API, plus the shared HTTP/retry helper.

`build_destinations` reads the documented env vars; when a CRM is not configured the caller
(the CLI) passes the local sandbox URL and token as the fallback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from reverse_etl.destinations.base import (
    BatchResult,
    Destination,
    OutboundRecord,
    RecordResult,
    WriteRequest,
)
from reverse_etl.destinations.http import (
    DestinationAuthError,
    DestinationError,
    DestinationRateLimited,
    DestinationUnavailable,
    RetryPolicy,
)
from reverse_etl.destinations.hubspot import HubSpotDestination
from reverse_etl.destinations.salesforce import SalesforceDestination

__all__ = [
    "BatchResult",
    "Destination",
    "DestinationAuthError",
    "DestinationError",
    "DestinationRateLimited",
    "DestinationUnavailable",
    "HubSpotDestination",
    "OutboundRecord",
    "RecordResult",
    "RetryPolicy",
    "SalesforceDestination",
    "WriteRequest",
    "DestinationConfigError",
    "build_destinations",
]

DEFAULT_SANDBOX_TOKEN = "revloop-sandbox-token"


class DestinationConfigError(ValueError):
    """A destination URL/token is not configured; the message names the env var to set."""


def build_destinations(
    env: Mapping[str, str] | None = None,
    sandbox_url: str | None = None,
    sandbox_token: str | None = None,
    retry: RetryPolicy | None = None,
    only: set[str] | None = None,
) -> dict[str, Destination]:
    """Clients for the CRMs (both, or `only` those named) from env vars.

    Unset URLs fall back to `sandbox_url`; a URL from the env needs its token from the env
    too (a real org never silently gets the sandbox token). Raises DestinationConfigError
    naming the variable to set.
    """
    env = os.environ if env is None else env
    wanted = only or {"salesforce", "hubspot"}
    token_default = sandbox_token or env.get("REVLOOP_SANDBOX_TOKEN") or DEFAULT_SANDBOX_TOKEN
    out: dict[str, Destination] = {}
    for name, url_var, token_var in (
        ("salesforce", "SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN"),
        ("hubspot", "HUBSPOT_BASE_URL", "HUBSPOT_ACCESS_TOKEN"),
    ):
        if name not in wanted:
            continue
        url = env.get(url_var) or sandbox_url
        if not url:
            raise DestinationConfigError(
                f"{url_var} is not set and no sandbox URL was given; set {url_var} and "
                f"{token_var}, or start `revloop sandbox` and pass its URL"
            )
        token = env.get(token_var) or ("" if env.get(url_var) else token_default)
        if not token:
            raise DestinationConfigError(f"{url_var} is set but {token_var} is not; set both")
        if name == "salesforce":
            version = env.get("SALESFORCE_API_VERSION") or "62.0"
            out[name] = SalesforceDestination(url, token, version, retry=retry)
        else:
            out[name] = HubSpotDestination(url, token, retry=retry)
    return out
