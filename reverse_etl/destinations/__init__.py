"""CRM destinations: one module per API, plus the shared HTTP/retry helper.

`build_destinations(CrmConfig(...))` builds the clients from explicit settings (the CLI and
the Dagster resources read the documented env vars into a `CrmConfig`); when a CRM is not
configured the caller passes the local sandbox URL and token as the fallback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reverse_etl.destinations.base import (
    BatchResult,
    Destination,
    FieldInfo,
    OutboundRecord,
    Prepared,
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
from reverse_etl.destinations.salesforce_auth import (
    DEFAULT_LOGIN_URL,
    JwtBearerAuth,
    RefreshTokenAuth,
    SalesforceAuth,
    SalesforceAuthError,
    StaticTokenAuth,
)

__all__ = [
    "CrmConfig",
    "FieldInfo",
    "JwtBearerAuth",
    "Prepared",
    "RefreshTokenAuth",
    "SalesforceAuth",
    "SalesforceAuthError",
    "StaticTokenAuth",
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


@dataclass(frozen=True)
class CrmConfig:
    """Everything the destinations need, passed explicitly (library code never reads the
    environment: the CLI and the Dagster resources fill this from the documented variables).

    Salesforce: `salesforce_client_id` with `salesforce_refresh_token` (refresh-token flow) or
    with `salesforce_username` + `salesforce_jwt_key_file` (JWT bearer flow); else the static
    `salesforce_access_token` on `salesforce_instance_url`. HubSpot: a private-app token (static).
    Unset URLs fall back to `sandbox_url` with `sandbox_token`.
    """

    salesforce_instance_url: str = ""
    salesforce_access_token: str = field(default="", repr=False)
    salesforce_api_version: str = "62.0"
    salesforce_login_url: str = DEFAULT_LOGIN_URL
    salesforce_client_id: str = ""
    salesforce_client_secret: str = field(default="", repr=False)
    salesforce_refresh_token: str = field(default="", repr=False)
    salesforce_username: str = ""
    salesforce_jwt_key_file: str = ""
    hubspot_base_url: str = ""
    hubspot_access_token: str = field(default="", repr=False)
    sandbox_url: str = ""
    sandbox_token: str = field(default="", repr=False)


def _salesforce_auth(config: CrmConfig, url: str, token: str) -> SalesforceAuth:
    if config.salesforce_client_id and config.salesforce_refresh_token:
        return RefreshTokenAuth(
            config.salesforce_client_id,
            config.salesforce_refresh_token,
            config.salesforce_client_secret,
            config.salesforce_login_url,
            config.salesforce_instance_url,
        )
    if config.salesforce_client_id and config.salesforce_username:
        if not config.salesforce_jwt_key_file:
            raise DestinationConfigError(
                "SALESFORCE_USERNAME is set for the JWT bearer flow but SALESFORCE_JWT_KEY_FILE "
                "(the connected app's private key, PEM) is not"
            )
        try:
            pem = Path(config.salesforce_jwt_key_file).read_bytes()
        except OSError as exc:
            raise DestinationConfigError(
                f"SALESFORCE_JWT_KEY_FILE {config.salesforce_jwt_key_file}: cannot read: {exc}"
            ) from exc
        return JwtBearerAuth(
            config.salesforce_client_id,
            config.salesforce_username,
            pem,
            config.salesforce_login_url,
            config.salesforce_instance_url,
        )
    if not url:
        raise DestinationConfigError(
            "SALESFORCE_INSTANCE_URL is not set and no sandbox URL was given; set "
            "SALESFORCE_CLIENT_ID with SALESFORCE_REFRESH_TOKEN or SALESFORCE_USERNAME + "
            "SALESFORCE_JWT_KEY_FILE (OAuth), or SALESFORCE_INSTANCE_URL and "
            "SALESFORCE_ACCESS_TOKEN, or start `revloop sandbox` and pass its URL"
        )
    if not token:
        raise DestinationConfigError(
            "SALESFORCE_INSTANCE_URL is set but SALESFORCE_ACCESS_TOKEN is not; set both (or an "
            "OAuth flow: SALESFORCE_CLIENT_ID with SALESFORCE_REFRESH_TOKEN or SALESFORCE_USERNAME)"
        )
    return StaticTokenAuth(token, url)


def build_destinations(
    config: CrmConfig | None = None,
    retry: RetryPolicy | None = None,
    only: set[str] | None = None,
    bulk_poll_timeout: float = 900.0,
) -> dict[str, Destination]:
    """Clients for the CRMs (both, or `only` those named) from an explicit `CrmConfig`.

    A URL that is configured needs its own credentials (a real org never silently gets the
    sandbox token); raises DestinationConfigError naming the variable to set.
    """
    config = config or CrmConfig()
    wanted = only or {"salesforce", "hubspot"}
    sandbox_token = config.sandbox_token or DEFAULT_SANDBOX_TOKEN
    out: dict[str, Destination] = {}
    if "salesforce" in wanted:
        url = config.salesforce_instance_url or config.sandbox_url
        token = config.salesforce_access_token or (
            "" if config.salesforce_instance_url else sandbox_token
        )
        auth = _salesforce_auth(config, url, token)
        out["salesforce"] = SalesforceDestination(
            url,
            token,
            config.salesforce_api_version or "62.0",
            retry=retry,
            bulk_poll_timeout=bulk_poll_timeout,
            auth=auth,
        )
    if "hubspot" in wanted:
        url = config.hubspot_base_url or config.sandbox_url
        if not url:
            raise DestinationConfigError(
                "HUBSPOT_BASE_URL is not set and no sandbox URL was given; set HUBSPOT_BASE_URL "
                "and HUBSPOT_ACCESS_TOKEN, or start `revloop sandbox` and pass its URL"
            )
        token = config.hubspot_access_token or ("" if config.hubspot_base_url else sandbox_token)
        if not token:
            raise DestinationConfigError(
                "HUBSPOT_BASE_URL is set but HUBSPOT_ACCESS_TOKEN is not; set both"
            )
        out["hubspot"] = HubSpotDestination(url, token, retry=retry)
    return out
