"""The local CRM sandbox: Salesforce REST + HubSpot CRM v3 subsets on one 127.0.0.1 port.

`revloop sandbox` calls `serve`; tests and the engine call `start_background`, which runs the
server in a subprocess (`python -m sandbox`) so a test talks to it over a real
socket exactly as production code talks to a vendor.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import logging
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import requests
import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import hubspot_api, marketo_api, salesforce_api, salesforce_oauth
from sandbox.schema import load_schema
from sandbox.seed import load_extra_fields, seed_from_extracts
from sandbox.state import SandboxConfig, SandboxState
from sandbox.store import Store

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "revloop-sandbox-token"
DEFAULT_PORT = 8765  # same as `revloop sandbox`
PROJECT_ROOT = Path(__file__).resolve().parents[1]


class SandboxStartError(RuntimeError):
    """The sandbox subprocess did not come up; the message carries the tail of its log."""


# ------------------------------------------------------------------ middleware


def _api_of(path: str) -> str:
    if path.startswith("/services/oauth2/"):
        return "oauth"  # the login server: no bearer token, never faulted
    if path.startswith("/services/"):
        return "salesforce"
    if path.startswith("/crm/"):
        return "hubspot"
    if path.startswith("/__admin"):
        return "admin"
    if path.startswith(("/identity/", "/bulk/", "/rest/")):
        return "marketo"  # authenticates its own tokens (marketo_api.py)
    return "other"


def _json_bytes(body: object) -> bytes:
    return json.dumps(body).encode()


class SandboxMiddleware:
    """Auth, injected faults, vendor rate limits and the request log around every request.

    Written as raw ASGI so a dropped connection can close the socket without any response.
    """

    def __init__(self, app, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def _respond(
        self, send, status: int, body: object, headers: list[tuple[str, str]]
    ) -> None:
        payload = _json_bytes(body)
        raw_headers = [
            (b"content-type", b"application/json;charset=UTF-8"),
            (b"content-length", str(len(payload)).encode()),
        ]
        raw_headers += [(k.lower().encode(), v.encode()) for k, v in headers]
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": payload})

    def _unauthorized(self, api: str) -> tuple[int, object]:
        if api == "hubspot":
            return 401, {
                "status": "error",
                "message": "Authentication credentials not found. This API supports OAuth 2.0 "
                "authentication and you can find more details at "
                "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                "correlationId": str(uuid.uuid4()),
                "category": "INVALID_AUTHENTICATION",
            }
        if api == "salesforce":
            return 401, [
                {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
            ]
        return 401, {
            "error": "unauthorized",
            "message": "send Authorization: Bearer <sandbox token>",
        }

    def _authorized(self, scope, api: str) -> bool:
        for key, value in scope.get("headers", []):
            if key == b"authorization":
                text = value.decode("latin-1")
                if text[:7].lower() != "bearer ":
                    return False
                token = text[7:].strip()
                static = hmac.compare_digest(token.encode(), self.state.token.encode())
                if api != "salesforce":
                    return static
                if static and self.state.config.sf_static_token_allowed:
                    return True
                return self.state.salesforce_token_ok(token)
        return False

    def _drop(self, send, flush: bool = False) -> None:
        """Cut the socket: at once (``abort``, nothing buffered leaves), or after what was
        already written (``flush``: the client gets those bytes, then end of stream)."""
        cycle = getattr(send, "__self__", None)
        transport = getattr(cycle, "transport", None)
        if transport is None:
            raise ConnectionAbortedError("sandbox fault: dropped connection")
        cycle.disconnected = True  # tell uvicorn not to write its own 500
        if flush:
            transport.close()
        else:
            transport.abort()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = self.state
        api = _api_of(scope["path"])
        started = time.perf_counter()
        status_box = {"status": 0}
        extra_headers: list[tuple[str, str]] = []
        fault = None

        async def send_wrapper(message) -> None:
            if message["type"] == "http.response.start":
                status_box["status"] = message["status"]
                if extra_headers:
                    message = {
                        **message,
                        "headers": list(message.get("headers", []))
                        + [(k.lower().encode(), v.encode()) for k, v in extra_headers],
                    }
            await send(message)

        try:
            if api in ("salesforce", "hubspot", "marketo"):
                faults = state.faults
                if faults.applies_to(api, scope["method"], scope["path"]):
                    if faults.latency_ms:
                        await asyncio.sleep(faults.latency_ms / 1000)
                    if (
                        faults.drop_connection_rate
                        and state.rng.random() < faults.drop_connection_rate
                    ):
                        fault = "drop_connection"
                        faults.fired += 1
                        self._drop(send)
                        return
                    if faults.rate_limit_burst > 0 and not scope["path"].startswith("/identity/"):
                        # (Marketo's 606 limits API calls; its identity service has none)
                        faults.rate_limit_burst -= 1
                        fault = "rate_limit_burst"
                        faults.fired += 1
                        await self._rate_limited(send_wrapper, api, retry_after=1.0)
                        return
                    if faults.error_rate and state.rng.random() < faults.error_rate:
                        fault = "error"
                        faults.fired += 1
                        await self._server_error(send_wrapper, api, faults.status_code)
                        return
                    if faults.truncate_body_bytes:
                        fault = "truncated_body"
                        faults.fired += 1
                        whole = send_wrapper
                        budget = {"left": faults.truncate_body_bytes, "cut": False}

                        async def send_wrapper(message, _real=whole) -> None:
                            # headers and the first bytes go out; then the socket is cut
                            if budget["cut"]:
                                return
                            if message["type"] != "http.response.body":
                                await _real(message)
                                return
                            body = message.get("body", b"")
                            if len(body) < budget["left"] or (
                                len(body) == budget["left"] and message.get("more_body")
                            ):
                                budget["left"] -= len(body)
                                await _real(message)
                                return
                            await _real(
                                {**message, "body": body[: budget["left"]], "more_body": True}
                            )
                            budget["cut"] = True
                            self._drop(send, flush=True)

                    if faults.lost_response_rate and state.rng.random() < faults.lost_response_rate:
                        fault = "lost_response"
                        faults.fired += 1
                        lost = send_wrapper

                        async def send_wrapper(message, _real=lost) -> None:
                            # the handler runs and commits; its answer never leaves
                            if message["type"] == "http.response.start":
                                status_box["status"] = message["status"]

            if api not in ("other", "oauth", "marketo") and not self._authorized(scope, api):
                status, body = self._unauthorized(api)
                await self._respond(send_wrapper, status, body, [])
                return
            if api == "salesforce":
                if not state.count_sf_call():
                    await self._respond(
                        send_wrapper,
                        403,
                        [
                            {
                                "message": "TotalRequests Limit exceeded.",
                                "errorCode": "REQUEST_LIMIT_EXCEEDED",
                            }
                        ],
                        [],
                    )
                    return
                extra_headers.append(
                    (
                        "Sforce-Limit-Info",
                        f"api-usage={state.sf_api_calls}/{state.config.sf_daily_api_limit}",
                    )
                )
            elif api == "hubspot":
                allowed, remaining, wait = state.hubspot_limiter.acquire()
                if not allowed:
                    await self._rate_limited(send_wrapper, api, retry_after=wait)
                    return
                extra_headers.extend(self._hubspot_headers(remaining))
            await self.app(scope, receive, send_wrapper)
            if fault == "lost_response":
                self._drop(send)
        finally:
            if api != "admin":
                query = scope.get("query_string", b"").decode("latin-1")
                state.request_log.append(
                    {
                        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "api": api,
                        "method": scope["method"],
                        "path": scope["path"],
                        "query": query[:500],
                        "status": status_box["status"],
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        # the server's monotonic clock when the request arrived: with
                        # duration_ms it shows which requests overlapped
                        "started_s": round(started, 4),
                        "records": scope.get("revloop_records", 0),
                        "fault": fault,
                    }
                )

    def _hubspot_headers(self, remaining: int) -> list[tuple[str, str]]:
        config = self.state.config
        return [
            ("X-HubSpot-RateLimit-Max", str(config.hubspot_rate_limit)),
            ("X-HubSpot-RateLimit-Remaining", str(remaining)),
            ("X-HubSpot-RateLimit-Interval-Milliseconds", str(config.hubspot_rate_interval_ms)),
        ]

    async def _rate_limited(self, send, api: str, retry_after: float) -> None:
        seconds = max(1, int(retry_after + 0.999))
        if api == "marketo":
            # Marketo answers HTTP 200 with success false and error 606 (100 calls / 20 s)
            await self._respond(
                send,
                200,
                {
                    "requestId": uuid.uuid4().hex[:16],
                    "success": False,
                    "errors": [
                        {
                            "code": "606",
                            "message": "Max rate limit '100' exceeded with in '20' secs",
                        }
                    ],
                },
                [],
            )
        elif api == "hubspot":
            headers = self._hubspot_headers(0) + [("Retry-After", str(seconds))]
            await self._respond(
                send,
                429,
                {
                    "status": "error",
                    "message": "You have reached your ten_secondly_rolling limit.",
                    "errorType": "RATE_LIMIT",
                    "correlationId": str(uuid.uuid4()),
                    "policyName": "TEN_SECONDLY_ROLLING",
                },
                headers,
            )
        else:
            # Salesforce sends no Retry-After: the client tells the concurrency limit (clears
            # in seconds) from the daily one (TotalRequests) by the message alone
            await self._respond(
                send,
                403,
                [
                    {
                        "message": "ConcurrentPerOrgLongTxn Limit exceeded.",
                        "errorCode": "REQUEST_LIMIT_EXCEEDED",
                    }
                ],
                [],
            )

    async def _server_error(self, send, api: str, status: int) -> None:
        if api == "marketo":
            body = {"message": "Service unavailable (injected by the sandbox)"}
            await self._respond(send, status, body, [])
            return
        if api == "hubspot":
            body: object = {
                "status": "error",
                "message": "internal error (injected by the sandbox)",
                "correlationId": str(uuid.uuid4()),
                "category": "INTERNAL_ERROR",
            }
        else:
            body = [
                {
                    "message": "Service unavailable (injected by the sandbox)",
                    "errorCode": "SERVER_UNAVAILABLE",
                }
            ]
        await self._respond(send, status, body, [])


# ------------------------------------------------------------------ admin


def _admin_routes(state: SandboxState, extracts: Path | None) -> list[Route]:
    async def health(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "seeded": state.seed_summary,
                "pid": os.getpid(),
                # CPU time of the server process: capacity measurements that do not depend on
                # how busy the machine is
                "cpu_seconds": time.process_time(),
            }
        )

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await request.json()
                state.set_faults(body if isinstance(body, dict) else {})
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": "bad_request", "message": str(exc)}, status_code=400)
        return JSONResponse(asdict(state.faults))

    async def config(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await request.json()
                state.config.update(body if isinstance(body, dict) else {})
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": "bad_request", "message": str(exc)}, status_code=400)
        return JSONResponse(state.config.as_dict())

    async def requests_log(request: Request) -> Response:
        return JSONResponse({"requests": list(state.request_log)})

    async def reset(request: Request) -> Response:
        body = {}
        if await request.body():
            try:
                body = await request.json()
            except ValueError as exc:
                return JSONResponse({"error": "bad_request", "message": str(exc)}, status_code=400)
        state.reset()
        if isinstance(body, dict) and body.get("data"):
            with state.store.transaction():
                state.store.wipe()
            state.schema = load_schema()
            if extracts is not None:
                state.seed_summary = seed_from_extracts(state.store, state.schema, extracts)
        return JSONResponse(
            {"status": "reset", "data": bool(isinstance(body, dict) and body.get("data"))}
        )

    async def oauth(request: Request) -> Response:
        """Register a connected app: {client_id, client_secret, refresh_token, username,
        public_key_pem}; `{"expire_tokens": true}` expires every issued access token."""
        try:
            body = await request.json()
        except ValueError as exc:
            return JSONResponse({"error": "bad_request", "message": str(exc)}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "bad_request"}, status_code=400)
        if body.get("expire_tokens"):
            return JSONResponse({"expired": state.expire_tokens()})
        if not body.get("client_id"):
            return JSONResponse({"error": "bad_request", "message": "client_id"}, status_code=400)
        state.connected_apps[str(body["client_id"])] = dict(body)
        return JSONResponse({"registered": str(body["client_id"])})

    async def clock(request: Request) -> Response:
        """Pin the record clock: {"now": "2026-10-31T10:00:00Z"} freezes it there,
        {"advance_s": 1.5} moves a pinned clock on, {"now": null} returns to the wall clock.
        Record stamps (CreatedDate, SystemModstamp, createdate, Bulk job times) follow it."""
        if request.method == "POST":
            try:
                body = await request.json()
                if not isinstance(body, dict):
                    raise ValueError("expected a JSON object")
                if "now" in body:
                    if body["now"] is None:
                        state.clock.unpin()
                    else:
                        text = str(body["now"]).replace("Z", "+00:00")
                        state.clock.pin(dt.datetime.fromisoformat(text))
                if body.get("advance_s"):
                    state.clock.advance(float(body["advance_s"]))
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": "bad_request", "message": str(exc)}, status_code=400)
        pinned = state.clock.pinned
        return JSONResponse({"pinned": pinned.isoformat() if pinned else None})

    return [
        Route("/__admin/clock", clock, methods=["GET", "POST"]),
        Route("/__admin/oauth", oauth, methods=["POST"]),
        Route("/__admin/health", health, methods=["GET"]),
        Route("/__admin/faults", faults, methods=["GET", "POST"]),
        Route("/__admin/config", config, methods=["GET", "POST"]),
        Route("/__admin/requests", requests_log, methods=["GET"]),
        Route("/__admin/reset", reset, methods=["POST"]),
    ]


async def _http_error(request: Request, exc: HTTPException) -> Response:
    api = _api_of(request.url.path)
    if api == "salesforce":
        code = "METHOD_NOT_ALLOWED" if exc.status_code == 405 else "NOT_FOUND"
        message = (
            f"HTTP Method '{request.method}' not allowed"
            if exc.status_code == 405
            else "The requested resource does not exist"
        )
        return JSONResponse([{"errorCode": code, "message": message}], status_code=exc.status_code)
    if api == "hubspot":
        return hubspot_api.hs_error(
            exc.status_code,
            "OBJECT_NOT_FOUND" if exc.status_code == 404 else "VALIDATION_ERROR",
            str(exc.detail),
        )
    return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)


def create_app(
    db_path: Path,
    token: str = DEFAULT_TOKEN,
    extracts: Path | None = None,
    config: dict | SandboxConfig | None = None,
):
    """Build the ASGI app; opens/creates the SQLite file and seeds it from `extracts`
    (``None``: no seeding; the environment is never consulted here)."""
    store = Store(Path(db_path))
    schema = load_schema()
    load_extra_fields(store, schema)
    for object_type, definition in store.hs_custom_properties():
        schema.hubspot[object_type][definition["name"]] = hubspot_api.property_from_definition(
            definition
        )
    cfg = config if isinstance(config, SandboxConfig) else SandboxConfig.from_dict(config)
    state = SandboxState(store, schema, token, cfg)
    if extracts is not None:
        state.seed_summary = seed_from_extracts(store, schema, Path(extracts))
    app = Starlette(
        routes=[
            *salesforce_api.routes(),
            *salesforce_oauth.routes(),
            *hubspot_api.routes(),
            *marketo_api.routes(),
            *_admin_routes(state, extracts),
        ],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.sandbox = state
    app.state.marketo = marketo_api.sandbox_for(extracts, token)
    return SandboxMiddleware(app, state)


# ------------------------------------------------------------------ running


def serve(
    port: int,
    db_path: Path,
    extracts: Path | None,
    token: str,
    config: dict | None = None,
    ready_file: Path | None = None,
) -> None:
    """Serve on 127.0.0.1:`port` until interrupted (port 0 = any free port).

    ``extracts=None`` means an empty CRM (no seeding). Every path and the token are explicit:
    the environment is read by the command-line edges (``revloop sandbox``,
    ``python -m sandbox``), never here.
    """
    db_path = Path(db_path)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    app = create_app(db_path, token, extracts, config)
    actual_port = sock.getsockname()[1]
    log.info("revloop sandbox on http://127.0.0.1:%d (db %s)", actual_port, db_path)
    if ready_file:
        tmp = Path(f"{ready_file}.tmp")
        tmp.write_text(json.dumps({"port": actual_port, "pid": os.getpid()}))
        tmp.replace(ready_file)
    server = uvicorn.Server(
        uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=30
        )
    )
    server.run(sockets=[sock])


@dataclass
class SandboxHandle:
    """A sandbox running in a subprocess; talks to its admin endpoints over HTTP."""

    url: str
    token: str
    db_path: Path
    process: subprocess.Popen
    log_path: Path
    _session: requests.Session = field(default_factory=requests.Session, repr=False)

    def _admin(self, method: str, path: str, body: dict | None = None) -> dict:
        response = self._session.request(
            method,
            f"{self.url}/__admin/{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def configure_faults(self, **faults: object) -> dict:
        """Replace the injected faults (error_rate, status_code, rate_limit_burst, ...)."""
        return self._admin("POST", "faults", faults)

    def configure(self, **config: object) -> dict:
        """Change SandboxConfig values (sf_page_size, hubspot_rate_limit, ...)."""
        return self._admin("POST", "config", config)

    def request_log(self) -> list[dict]:
        return self._admin("GET", "requests")["requests"]

    def reset(self, data: bool = False) -> dict:
        return self._admin("POST", "reset", {"data": data})

    def register_connected_app(self, **app: object) -> dict:
        """A Salesforce connected app for /services/oauth2/token (client_id, client_secret,
        refresh_token, username, public_key_pem)."""
        return self._admin("POST", "oauth", app)

    def set_clock(self, now: str | None = "", advance_s: float = 0.0) -> dict:
        """Pin the sandbox's record clock at `now` (ISO-8601 with offset; None = wall clock
        again) and/or move a pinned clock on by `advance_s` seconds."""
        body: dict = {"advance_s": advance_s}
        if now != "":
            body["now"] = now
        return self._admin("POST", "clock", body)

    def expire_tokens(self) -> int:
        """Expire every OAuth access token the sandbox issued (a session timeout)."""
        return int(self._admin("POST", "oauth", {"expire_tokens": True})["expired"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._session.close()

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_background(
    port: int,
    db_path: Path,
    extracts: Path | None,
    token: str,
    config: dict | None = None,
    timeout: float = 120.0,
) -> SandboxHandle:
    """Start `python -m sandbox` and return once it answers on its port.

    ``extracts=None`` starts an empty CRM: the child never falls back to
    ``$REVLOOP_EXTRACTS`` (a test must not seed itself from a demo's files).
    """
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    ready_file = db_path.parent / f".{db_path.name}.{uuid.uuid4().hex}.ready"
    log_path = Path(f"{db_path}.log")
    cmd = [
        sys.executable,
        "-m",
        "sandbox",
        "--port",
        str(port),
        "--db",
        str(db_path),
        "--ready-file",
        str(ready_file),
    ]
    if extracts is not None:
        cmd += ["--extracts", str(extracts)]
    if config:
        cmd += ["--config-json", json.dumps(config)]
    # The token travels in the child's environment, never on its command line (ps shows it).
    env = dict(os.environ, REVLOOP_SANDBOX_TOKEN=token)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + timeout

    def fail(reason: str) -> SandboxStartError:
        if process.poll() is None:
            process.kill()
        tail = log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""
        return SandboxStartError(f"sandbox did not start ({reason}); log {log_path}:\n{tail}")

    while not ready_file.exists():
        if process.poll() is not None:
            raise fail(f"exited with code {process.returncode}")
        if time.monotonic() > deadline:
            raise fail(f"no ready file after {timeout:.0f}s")
        time.sleep(0.02)
    info = json.loads(ready_file.read_text())
    ready_file.unlink(missing_ok=True)
    handle = SandboxHandle(
        url=f"http://127.0.0.1:{info['port']}",
        token=token,
        db_path=db_path,
        process=process,
        log_path=log_path,
    )
    while True:
        try:
            handle._admin("GET", "health")
            return handle
        except requests.RequestException as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                raise fail(f"health check failed: {exc}") from exc
            time.sleep(0.02)
