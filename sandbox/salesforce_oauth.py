"""Salesforce's OAuth 2.0 token endpoint (`POST /services/oauth2/token`) as orgs use it.

Two server-to-server flows, the ones an unattended nightly sync can use:
- refresh token: `grant_type=refresh_token&client_id=&client_secret=&refresh_token=`;
- JWT bearer: `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>`, an
  RS256 JWT with `iss` = the connected app's consumer key, `sub` = the username, `aud` = the
  login server (https://login.salesforce.com, https://test.salesforce.com or this sandbox's
  URL), `exp` at most a few minutes ahead; signed with the key whose certificate is
  uploaded to the connected app (here: `public_key_pem`).

Connected apps are registered through `POST /__admin/oauth`. The answer has Salesforce's
shape (`access_token`, `instance_url`, `id`, `token_type`, `issued_at`, `signature`; no
`expires_in`: a Salesforce session ends by timeout, the client learns it from a 401
`INVALID_SESSION_ID`), errors are 400 `{"error", "error_description"}` as Salesforce sends.
Issued tokens expire after `sf_token_ttl_s` seconds or `sf_token_max_calls` API calls.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.state import SandboxState

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LOGIN_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
MAX_ASSERTION_LIFETIME_S = 300


def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _verify_rs256(signing_input: bytes, signature: bytes, public_key_pem: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        key = serialization.load_pem_public_key(public_key_pem.encode())
        key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr,call-arg]
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _jwt_claims(assertion: str, apps: dict[str, dict], base_url: str) -> tuple[dict, str | None]:
    """(app, error description) for a JWT bearer assertion."""
    parts = assertion.split(".")
    if len(parts) != 3:
        return {}, "invalid assertion"
    try:
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
        signature = _b64url_decode(parts[2])
    except (ValueError, binascii.Error):
        return {}, "invalid assertion"
    if header.get("alg") != "RS256":
        return {}, "invalid assertion"
    app = apps.get(str(claims.get("iss", "")))
    if app is None:
        return {}, "invalid client identifier"  # Salesforce: invalid_client_id
    aud = str(claims.get("aud", "")).rstrip("/")
    if aud not in (*LOGIN_AUDIENCES, base_url.rstrip("/")):
        return {}, "audience is invalid"
    exp = claims.get("exp")
    now = time.time()
    if not isinstance(exp, int | float) or exp < now or exp > now + MAX_ASSERTION_LIFETIME_S:
        return {}, "expired authorization code" if isinstance(
            exp, int | float
        ) else "invalid assertion"
    signing_input = f"{parts[0]}.{parts[1]}".encode()
    if not _verify_rs256(signing_input, signature, str(app.get("public_key_pem", ""))):
        return {}, "invalid assertion"
    if str(claims.get("sub", "")).lower() != str(app.get("username", "")).lower():
        return {}, "user hasn't approved this consumer"
    return app, None


async def token(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    try:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
    except UnicodeDecodeError:
        return _oauth_error("invalid_request", "the body must be form-encoded UTF-8")
    grant = form.get("grant_type", "")
    base_url = str(request.base_url).rstrip("/")
    if grant == "refresh_token":
        app = state.connected_apps.get(form.get("client_id", ""))
        if app is None:
            return _oauth_error("invalid_client_id", "client identifier invalid")
        secret = str(app.get("client_secret") or "")
        if secret and not hmac.compare_digest(form.get("client_secret", ""), secret):
            return _oauth_error("invalid_client", "invalid client credentials")
        if not hmac.compare_digest(form.get("refresh_token", ""), str(app.get("refresh_token"))):
            return _oauth_error("invalid_grant", "expired access/refresh token")
    elif grant == JWT_GRANT:
        app, problem = _jwt_claims(form.get("assertion", ""), state.connected_apps, base_url)
        if problem == "invalid client identifier":
            return _oauth_error("invalid_client_id", "client identifier invalid")
        if problem:
            return _oauth_error("invalid_grant", problem)
    else:
        return _oauth_error("unsupported_grant_type", "grant type not supported")
    access = state.issue_token(str(app["client_id"]), str(app.get("username", "")))
    issued_at = str(int(time.time() * 1000))
    signature = base64.b64encode(
        hmac.new(state.token.encode(), f"{base_url}{issued_at}".encode(), hashlib.sha256).digest()
    ).decode()
    return JSONResponse(
        {
            "access_token": access,
            "signature": signature,
            "scope": "api",
            "instance_url": base_url,
            "id": f"{base_url}/id/00DRL0000000001AAA/005RL0000000001AAA",
            "token_type": "Bearer",
            "issued_at": issued_at,
        }
    )


def routes() -> list[Route]:
    return [Route("/services/oauth2/token", token, methods=["POST"])]
