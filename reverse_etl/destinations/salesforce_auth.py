"""How the Salesforce destination gets (and renews) its access token.

A static access token dies with its session (two hours by default, inactivity-based), so a
02:00 run on a real org needs an OAuth flow it can repeat unattended:

- `RefreshTokenAuth`: `grant_type=refresh_token` with the connected app's consumer key and
  secret and a refresh token obtained once by an admin (web-server or device flow);
- `JwtBearerAuth`: `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` with an RS256
  JWT (`iss` consumer key, `sub` username, `aud` login server, `exp` ≤ 3 minutes) signed by
  the private key whose certificate is uploaded to the connected app; no secret, no refresh
  token, the usual choice for integration users;
- `StaticTokenAuth`: a token from the environment (sandbox, quick tests); it cannot renew.

Salesforce's token answer has no `expires_in`: a session ends by timeout and the API says so
with 401 `INVALID_SESSION_ID`. The destination therefore calls `refresh()` once on a 401 and
retries the request (a 401 means nothing was applied). Every flow returns the org's
`instance_url`, where the API calls go. Secrets live in these objects only; `repr` never
shows them and nothing here logs a request body.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

import requests

log = logging.getLogger(__name__)

DEFAULT_LOGIN_URL = "https://login.salesforce.com"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class SalesforceAuthError(RuntimeError):
    """The login server refused the credentials; the message says which setting to fix."""


class SalesforceAuth(Protocol):
    def token(self) -> tuple[str, str]:
        """(access token, instance URL), logging in on first use."""
        ...

    def refresh(self, rejected: str) -> bool:
        """Get a new token after `rejected` was refused; False when this flow cannot renew."""
        ...


@dataclass
class StaticTokenAuth:
    """A fixed access token (SALESFORCE_ACCESS_TOKEN): no renewal possible."""

    access_token: str = field(repr=False)
    instance_url: str

    def token(self) -> tuple[str, str]:
        return self.access_token, self.instance_url

    def refresh(self, rejected: str) -> bool:
        return False


class _OAuthFlow:
    """Shared token cache: one login per process, a new one only when the token is refused."""

    login_url: str
    instance_url_override: str
    timeout: float = 30.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._token: str | None = None
        self._instance_url = ""
        self.logins = 0

    def _grant(self) -> dict[str, str]:  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def _login(self) -> None:
        url = self.login_url.rstrip("/") + "/services/oauth2/token"
        try:
            response = requests.post(url, data=self._grant(), timeout=self.timeout)
        except requests.RequestException as exc:
            raise SalesforceAuthError(f"Salesforce login at {url} failed: {exc}") from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or "access_token" not in body:
            raise SalesforceAuthError(
                f"Salesforce login at {url} refused ({response.status_code} "
                f"{body.get('error', '?')}: {body.get('error_description', response.text[:200])}); "
                f"{self.hint}"
            )
        self._token = str(body["access_token"])
        self._instance_url = self.instance_url_override or str(body.get("instance_url", ""))
        self.logins += 1
        log.info("Salesforce %s login ok (instance %s)", self.flow, self._instance_url)

    def token(self) -> tuple[str, str]:
        with self._lock:
            if self._token is None:
                self._login()
            return self._token or "", self._instance_url

    def refresh(self, rejected: str) -> bool:
        with self._lock:
            if self._token == rejected:  # another thread may have renewed it already
                self._login()
            return True

    flow = "OAuth"
    hint = ""


class RefreshTokenAuth(_OAuthFlow):
    """OAuth 2.0 refresh-token flow (connected app consumer key/secret + refresh token)."""

    flow = "refresh-token"
    hint = "check SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET and SALESFORCE_REFRESH_TOKEN"

    def __init__(
        self,
        client_id: str,
        refresh_token: str,
        client_secret: str = "",
        login_url: str = DEFAULT_LOGIN_URL,
        instance_url: str = "",
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self._refresh_token = refresh_token
        self._client_secret = client_secret
        self.login_url = login_url
        self.instance_url_override = instance_url

    def __repr__(self) -> str:
        return f"RefreshTokenAuth(client_id=..., login_url={self.login_url!r})"

    def _grant(self) -> dict[str, str]:
        grant = {
            "grant_type": "refresh_token",
            "client_id": self.client_id,
            "refresh_token": self._refresh_token,
        }
        if self._client_secret:
            grant["client_secret"] = self._client_secret
        return grant


class JwtBearerAuth(_OAuthFlow):
    """OAuth 2.0 JWT bearer flow: an RS256 assertion signed with the connected app's key."""

    flow = "JWT bearer"
    hint = (
        "check SALESFORCE_CLIENT_ID, SALESFORCE_USERNAME, SALESFORCE_JWT_KEY_FILE and that the "
        "integration user is pre-authorized for the connected app"
    )

    def __init__(
        self,
        client_id: str,
        username: str,
        private_key_pem: bytes | str,
        login_url: str = DEFAULT_LOGIN_URL,
        instance_url: str = "",
        audience: str | None = None,
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self.username = username
        self._key_pem = (
            private_key_pem.encode() if isinstance(private_key_pem, str) else private_key_pem
        )
        self.login_url = login_url
        self.instance_url_override = instance_url
        # the login server is the audience: login.salesforce.com, test.salesforce.com or the
        # org's My Domain login URL
        self.audience = audience or login_url.rstrip("/")

    def __repr__(self) -> str:
        return f"JwtBearerAuth(username=..., login_url={self.login_url!r})"

    def assertion(self, now: float | None = None) -> str:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        issued = int(now if now is not None else time.time())
        claims = {"iss": self.client_id, "sub": self.username, "aud": self.audience}
        claims["exp"] = issued + 170  # Salesforce accepts at most 3 minutes
        head = b64(json.dumps({"alg": "RS256"}).encode()) + "." + b64(json.dumps(claims).encode())
        try:
            key = serialization.load_pem_private_key(self._key_pem, password=None)
        except (ValueError, TypeError) as exc:
            raise SalesforceAuthError(
                f"the JWT private key is not a readable PEM RSA key ({exc}); {self.hint}"
            ) from exc
        signature = key.sign(head.encode(), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr,call-arg]
        return head + "." + b64(signature)

    def _grant(self) -> dict[str, str]:
        return {"grant_type": JWT_GRANT, "assertion": self.assertion()}
