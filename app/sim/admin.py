"""The simulator's admin endpoint: switch faults, the clock and tokens over HTTP, for tests and
tools that drive a simulator running in another process (``python -m app.sim --admin``).

Off unless ``SimConfig.admin_enabled`` (CLI ``--admin``): while off, its paths answer 404 exactly
like any unknown path. While on it is served before fault injection and rate limiting (a fault
on ``*`` never hits it) and answers only when all of these hold, so that neither another machine
nor a web page in the user's browser can reach it:

* the client address is loopback (127.0.0.0/8, ::1, ::ffff:127.x) — else 403 FORBIDDEN;
* the Host header names a loopback address or ``localhost`` (defeats DNS rebinding) — else 403;
* the request carries ``x-sim-admin: 1`` (a custom header: a cross-site page cannot send it
  without a CORS preflight, which is never granted) — else 403;
* a POST has ``Content-Type: application/json`` and a JSON object body (an empty body counts as
  ``{}``) — else 415, or 400 for a body that is not a JSON object.

Every answer is JSON. Errors use Webull's envelope ``{"error_code", "message"}``; a 400
INVALID_PARAMETER also names the offending member in ``"field"`` (and in the message).

Endpoints, under ``/__sim/admin``:

``GET  /state``
    Summary: ``seed``, ``clock`` (``kind``, ``manual``, ``now`` — the server's time,
    ``reference_now`` — the callers' time, ``skew_s``), ``config`` (a few switches), ``faults``
    (pending), ``users`` (username, display name, identity id) and ``client_id``.
``GET  /faults``
    ``{"faults": [fault, …]}``, the pending faults in matching order. A fault is ``{"kind",
    "path", "method", "remaining", "hits", "retry_after", "delay_s", "status", "after"}``.
``POST /faults``
    Add one: ``{"kind": "server_error" | "rate_limited" | "drop" | "html" | "truncated_json" |
    "delay", "path": "/trading/*" (fnmatch pattern, default "*"), "times": 1..10000 (default 1),
    "method": "GET" | "POST" | … | null, "retry_after": seconds (rate_limited only),
    "delay_s": seconds, 0 < s <= 600 (delay only, default 1), "status": 100..599 (html only,
    default 502), "after": bool (server_error and drop only: handle the request first)}``.
    Answers 201 ``{"fault": fault}``. Unknown members are refused.
``POST /faults/clear``
    ``{}`` → ``{"cleared": n}`` (how many were pending).
``POST /clock/skew``
    ``{"seconds": s}`` (negative: behind; |s| <= 10 years) → the ``clock`` summary. The server's
    clock runs ``s`` seconds off its callers': x-timestamp checks and every expiry follow it.
``POST /clock/advance``
    ``{"seconds": s >= 0}`` → the ``clock`` summary; 409 CONFLICT unless the clock is a
    ``ManualClock``.
``POST /tokens/revoke``
    ``{"user": username or identity id, "client_id": optional}`` → ``{"revoked": n}``; without
    ``client_id`` the user's Trading API 2FA tokens are revoked too.
``POST /reset``
    ``{"seed": optional int}`` → the state summary. Starts over like ``SimServer.reset()`` (the
    settings the server was built with, clock kept, skew 0, faults cleared, fresh tokens and
    market) but keeps the admin endpoint on.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .clock import ManualClock
from .faults import FaultKind

if TYPE_CHECKING:
    from .server import SimServer

log = logging.getLogger("app.sim.admin")

ADMIN_PREFIX = "/__sim/admin"
ADMIN_HEADER = "x-sim-admin"

MAX_TIMES = 10_000
MAX_DELAY_S = 600.0
MAX_CLOCK_S = 10 * 365 * 86_400.0
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

_KIND_FIELDS = {
    "retry_after": (FaultKind.RATE_LIMITED,),
    "delay_s": (FaultKind.DELAY,),
    "status": (FaultKind.HTML,),
    "after": (FaultKind.SERVER_ERROR, FaultKind.DROP),
}
_FAULT_FIELDS = ("kind", "path", "times", "method", "retry_after", "delay_s", "status", "after")


def is_admin_path(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


class AdminError(Exception):
    def __init__(self, status: int, code: str, message: str, *, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.field, self.headers = field, headers or {}

    def response(self) -> Response:
        body: dict[str, Any] = {"error_code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return JSONResponse(body, self.status,
                            headers={"cache-control": "no-store", **self.headers})


def invalid(field: str, message: str) -> AdminError:
    return AdminError(400, "INVALID_PARAMETER", f"{field}: {message}", field=field)


# ------------------------------------------------------------------------------ validation


def _reject_unknown(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for name in body:
        if name not in allowed:
            raise invalid(name, f"unknown member (allowed: {', '.join(allowed)})" if allowed
                          else "unknown member (this endpoint takes none)")


def _number(body: dict[str, Any], name: str, *, default: float | None = None,
            required: bool = False, low: float | None = None, high: float | None = None,
            low_open: bool = False, nullable: bool = False) -> float | None:
    if name not in body or (nullable and body[name] is None):
        if required:
            raise invalid(name, "is required")
        return default
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value):
        raise invalid(name, "must be a number")
    if low is not None and (value <= low if low_open else value < low):
        raise invalid(name, f"must be {'greater than' if low_open else 'at least'} {low:g}")
    if high is not None and value > high:
        raise invalid(name, f"must be at most {high:g}")
    return float(value)


def _integer(body: dict[str, Any], name: str, *, default: int | None, low: int,
             high: int) -> int | None:
    if name not in body or body[name] is None:
        return default
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(name, "must be an integer")
    if not low <= value <= high:
        raise invalid(name, f"must be between {low} and {high}")
    return value


def _text(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    if name not in body or body[name] is None:
        if required:
            raise invalid(name, "is required")
        return None
    value = body[name]
    if not isinstance(value, str) or not value:
        raise invalid(name, "must be a non-empty string")
    return value


def fault_spec(body: dict[str, Any]) -> dict[str, Any]:
    """The arguments of ``Faults.add`` from an admin request's body (validated)."""
    _reject_unknown(body, _FAULT_FIELDS)
    raw_kind = _text(body, "kind", required=True)
    kinds = [k.value for k in FaultKind]
    if raw_kind not in kinds:
        raise invalid("kind", f"unknown fault kind {raw_kind!r} (one of: {', '.join(kinds)})")
    kind = FaultKind(raw_kind)
    for name, kinds_for in _KIND_FIELDS.items():
        if name in body and body[name] is not None and kind not in kinds_for:
            raise invalid(name, f"applies only to {' and '.join(k.value for k in kinds_for)}")
    path = _text(body, "path") or "*"
    if len(path) > 1000 or not path.startswith(("/", "*")):
        raise invalid("path", "must be a path pattern starting with '/' or '*'")
    method = _text(body, "method")
    if method is not None:
        if method.upper() not in METHODS:
            raise invalid("method", f"must be one of {', '.join(METHODS)} or null")
        method = method.upper()
    after = body.get("after")
    if after is not None and not isinstance(after, bool):
        raise invalid("after", "must be true or false")
    spec: dict[str, Any] = {
        "kind": kind, "path": path,
        "times": _integer(body, "times", default=1, low=1, high=MAX_TIMES),
        "method": method,
        "retry_after": _number(body, "retry_after", low=0, high=86_400, nullable=True),
        "after": bool(after),
    }
    if kind is FaultKind.DELAY:
        spec["delay_s"] = _number(body, "delay_s", default=1.0, low=0, low_open=True,
                                  high=MAX_DELAY_S, nullable=True)
    if kind is FaultKind.HTML:
        spec["status"] = _integer(body, "status", default=502, low=100, high=599)
    return spec


# ------------------------------------------------------------------------------ the endpoint

Handler = Callable[[dict[str, Any]], Awaitable[tuple[int, dict[str, Any]]]]


class AdminApp:
    """A pure ASGI application serving ``/__sim/admin/…`` for one ``SimServer``."""

    def __init__(self, server: SimServer) -> None:
        self.server = server
        self.routes: dict[str, dict[str, Handler]] = {
            "/state": {"GET": self.get_state},
            "/faults": {"GET": self.list_faults, "POST": self.add_fault},
            "/faults/clear": {"POST": self.clear_faults},
            "/clock/skew": {"POST": self.set_skew},
            "/clock/advance": {"POST": self.advance_clock},
            "/tokens/revoke": {"POST": self.revoke_tokens},
            "/reset": {"POST": self.reset},
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self._handle(request)
        except AdminError as exc:
            response = exc.response()
        except Exception:
            log.exception("admin endpoint failure on %s", scope["path"])
            response = AdminError(500, "SYSTEM_ERROR", "Internal Server Error").response()
        await response(scope, receive, send)

    async def _handle(self, request: Request) -> Response:
        _guard(request)
        path = request.scope["path"]
        methods = self.routes.get(path.removeprefix(ADMIN_PREFIX).rstrip("/") or "/")
        if methods is None:
            raise AdminError(404, "NOT_FOUND", f"no such admin endpoint: {path}")
        handler = methods.get(request.method)
        if handler is None:
            raise AdminError(405, "METHOD_NOT_ALLOWED", "Method Not Allowed",
                             headers={"allow": ", ".join(methods)})
        body: dict[str, Any] = {}
        if request.method == "POST":
            body = await _json_body(request)
        status, payload = await handler(body)
        return JSONResponse(payload, status, headers={"cache-control": "no-store"})

    # ---------------------------------------------------------------- operations
    async def get_state(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, self.summary()

    async def list_faults(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {"faults": [f.to_dict() for f in self.server.faults.pending()]}

    async def add_fault(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        spec = fault_spec(body)
        fault = self.server.faults.add(spec.pop("kind"), spec.pop("path"), spec.pop("times"),
                                       **spec)
        return 201, {"fault": fault.to_dict()}

    async def clear_faults(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        _reject_unknown(body, ())
        return 200, {"cleared": self.server.faults.clear()}

    async def set_skew(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        _reject_unknown(body, ("seconds",))
        seconds = _number(body, "seconds", required=True, low=-MAX_CLOCK_S, high=MAX_CLOCK_S)
        assert seconds is not None
        self.server.set_clock_skew(seconds)
        return 200, self.clock_summary()

    async def advance_clock(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        clock = self.server.clock
        if not isinstance(clock, ManualClock):
            raise AdminError(409, "CONFLICT", f"the clock is a {type(clock).__name__}, not a "
                             "ManualClock; only a manual clock can be advanced (use "
                             "/clock/skew to shift time)")
        _reject_unknown(body, ("seconds",))
        seconds = _number(body, "seconds", required=True, low=0, high=MAX_CLOCK_S)
        assert seconds is not None
        clock.advance(seconds)
        return 200, self.clock_summary()

    async def revoke_tokens(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        _reject_unknown(body, ("user", "client_id"))
        user = _text(body, "user", required=True)
        client_id = _text(body, "client_id")
        assert user is not None
        try:
            count = self.server.revoke_user_tokens(user, client_id)
        except KeyError:
            raise invalid("user", f"no demo user {user!r}") from None
        return 200, {"revoked": count}

    async def reset(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        _reject_unknown(body, ("seed",))
        seed = _integer(body, "seed", default=None, low=0, high=2**63 - 1)
        overrides: dict[str, Any] = {"admin_enabled": True}
        if seed is not None:
            overrides["seed"] = seed
        self.server.reset(**overrides)
        return 200, self.summary()

    # ---------------------------------------------------------------- summaries
    def clock_summary(self) -> dict[str, Any]:
        server = self.server
        reference = server.clock
        skew = server.clock_skew_s
        then = reference.now()
        return {"kind": type(reference).__name__, "manual": isinstance(reference, ManualClock),
                "now": (then + timedelta(seconds=skew)).isoformat(),
                "reference_now": then.isoformat(), "skew_s": skew}

    def summary(self) -> dict[str, Any]:
        server, config = self.server, self.server.config
        return {
            "seed": config.seed,
            "client_id": server.state.partner.client_id,
            "clock": self.clock_summary(),
            "config": {"strict_signature": config.strict_signature,
                       "auto_approve": config.auto_approve,
                       "market_always_open": config.market_always_open,
                       "rate_limits": config.rate_limits is not None,
                       "timestamp_skew_s": config.timestamp_skew_s,
                       "admin_enabled": config.admin_enabled},
            "faults": [f.to_dict() for f in server.faults.pending()],
            "users": [{"username": u.username, "display_name": u.display_name,
                       "identity_id": u.identity_id} for u in server.demo_users()],
        }


def build_admin_app(server: SimServer) -> ASGIApp:
    return AdminApp(server)


# ------------------------------------------------------------------------------ the guards


def _is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _host_name(header: str) -> str:
    """The host of a Host header, without the port."""
    if header.startswith("["):
        return header[: header.find("]") + 1] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _guard(request: Request) -> None:
    client = request.client
    if client is None or not _is_loopback(client.host):
        raise AdminError(403, "FORBIDDEN", "the admin endpoint answers loopback clients only")
    host = _host_name(request.headers.get("host", "")).lower()
    if host != "localhost" and not _is_loopback(host):
        raise AdminError(403, "FORBIDDEN",
                         "the Host header must name a loopback address or localhost")
    if request.headers.get(ADMIN_HEADER) != "1":
        raise AdminError(403, "FORBIDDEN", f"the {ADMIN_HEADER}: 1 header is required")


async def _json_body(request: Request) -> dict[str, Any]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise AdminError(415, "UNSUPPORTED_MEDIA_TYPE",
                         "POST bodies must be sent as Content-Type: application/json")
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise invalid("body", "is not valid JSON") from None
    if not isinstance(body, dict):
        raise invalid("body", "must be a JSON object")
    return body
