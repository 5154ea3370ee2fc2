"""Fault injection: make the next N requests to a path fail the way real networks and gateways do.

    server.faults.server_error("/trading/accounts/list")          # 500 SYSTEM_ERROR envelope
    server.faults.rate_limited("/trading/*", times=2, retry_after=3)
    server.faults.drop("/oauth2/tokens/create", after=True)       # handled, then connection cut
    server.faults.server_error("/trading/orders/place", after=True)  # committed, then a 500
    server.faults.html("/trading/assets/balances/get")            # a proxy's HTML error page
    server.faults.truncated_json("/trading/assets/positions/list")
    server.faults.delay("/trading/accounts/list", 2.0)

Paths are shell-style patterns (``fnmatch``), matched against the request path with and
without the Connect prefix ``/oauth-openapi``. Faults act before authentication, like a gateway
in front of Webull; ``truncated_json``, ``drop(after=True)`` and ``server_error(after=True)`` let
the request be handled first, so its effects happen although the caller never sees a usable
answer (a placed order the caller must look up to learn about).
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: the scope extension the server's HTTP protocol provides to cut a connection
ABORT_EXTENSION = "pennant.sim.abort"

_HTML = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 "
         b"Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


class FaultKind(StrEnum):
    SERVER_ERROR = "server_error"
    RATE_LIMITED = "rate_limited"
    DROP = "drop"
    HTML = "html"
    TRUNCATED_JSON = "truncated_json"
    DELAY = "delay"


@dataclass
class Fault:
    kind: FaultKind
    path: str
    remaining: int
    method: str | None = None
    retry_after: float | None = None
    delay_s: float = 0.0
    status: int | None = None
    after: bool = False
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        bare = path.removeprefix("/oauth-openapi") if path.startswith("/oauth-openapi/") else path
        return fnmatchcase(path, self.path) or fnmatchcase(bare, self.path)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the admin endpoint lists faults this way)."""
        return {"kind": self.kind.value, "path": self.path, "method": self.method,
                "remaining": self.remaining, "hits": self.hits,
                "retry_after": self.retry_after, "delay_s": self.delay_s,
                "status": self.status, "after": self.after}


class Faults:
    """The pending faults of one server. Thread-safe: tests add faults while it runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, kind: FaultKind | str, path: str = "*", times: int = 1, *,
            method: str | None = None, retry_after: float | None = None, delay_s: float = 0.0,
            status: int | None = None, after: bool = False) -> Fault:
        if times < 1:
            raise ValueError("times must be at least 1")
        fault = Fault(FaultKind(kind), path, times, method, retry_after, delay_s, status, after)
        with self._lock:
            self._faults.append(fault)
        return fault

    def server_error(self, path: str = "*", times: int = 1, **kw: Any) -> Fault:
        return self.add(FaultKind.SERVER_ERROR, path, times, **kw)

    def rate_limited(self, path: str = "*", times: int = 1, retry_after: float | None = None,
                     **kw: Any) -> Fault:
        return self.add(FaultKind.RATE_LIMITED, path, times, retry_after=retry_after, **kw)

    def drop(self, path: str = "*", times: int = 1, after: bool = False, **kw: Any) -> Fault:
        return self.add(FaultKind.DROP, path, times, after=after, **kw)

    def html(self, path: str = "*", times: int = 1, status: int = 502, **kw: Any) -> Fault:
        return self.add(FaultKind.HTML, path, times, status=status, **kw)

    def truncated_json(self, path: str = "*", times: int = 1, **kw: Any) -> Fault:
        return self.add(FaultKind.TRUNCATED_JSON, path, times, **kw)

    def delay(self, path: str = "*", seconds: float = 1.0, times: int = 1, **kw: Any) -> Fault:
        return self.add(FaultKind.DELAY, path, times, delay_s=seconds, **kw)

    def take(self, method: str, path: str) -> Fault | None:
        """The first pending fault for this request, counted as used."""
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.matches(method, path):
                    fault.remaining -= 1
                    fault.hits += 1
                    return fault
            return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if f.remaining > 0]

    def clear(self) -> int:
        """Forget every fault; returns how many were still pending."""
        with self._lock:
            pending = sum(1 for f in self._faults if f.remaining > 0)
            self._faults.clear()
            return pending


class FaultMiddleware:
    """Pure ASGI middleware applying the pending faults."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fault = self.faults.take(scope["method"], scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        kind = fault.kind
        if kind is FaultKind.SERVER_ERROR:
            if fault.after:  # the request takes effect, the caller sees a failure
                await _capture(self.app, scope, receive)
            await _send_json(send, 500, {"error_code": "SYSTEM_ERROR",
                                         "message": "Internal Server Error"})
        elif kind is FaultKind.RATE_LIMITED:
            headers = [(b"retry-after", _number(fault.retry_after).encode())] \
                if fault.retry_after is not None else []
            await _send_json(send, 429, {"error_code": "TOO_MANY_REQUESTS",
                                         "message": "Rate limit exceeded"}, headers)
        elif kind is FaultKind.HTML:
            await _send(send, fault.status or 502, _HTML, b"text/html")
        elif kind is FaultKind.DELAY:
            messages = await _read_request(receive)
            if not await _wait_unless_disconnected(receive, fault.delay_s):
                return
            await self.app(scope, _replay(messages, receive), send)
        elif kind is FaultKind.TRUNCATED_JSON:
            start, body = await _capture(self.app, scope, receive)
            cut = body[: max(1, len(body) // 2)] if len(body) > 1 else b"{"
            headers = [(k, v) for k, v in start.get("headers", [])
                       if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(cut)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": cut, "more_body": False})
        else:  # DROP
            if fault.after:
                await _capture(self.app, scope, receive)
            await _abort(scope, receive)


async def _send(send: Send, status: int, body: bytes, content_type: bytes,
                extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status,
                "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _send_json(send: Send, status: int, payload: dict[str, str],
                     extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(payload, separators=(",", ":")).encode()
    await _send(send, status, body, b"application/json", extra)


def _number(value: float | None) -> str:
    return f"{value:g}" if value is not None else ""


async def _read_request(receive: Receive) -> list[Message]:
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _wait_unless_disconnected(receive: Receive, seconds: float) -> bool:
    """Sleep; False if the client went away first (a client timeout)."""
    gone = asyncio.ensure_future(receive())
    try:
        done, _ = await asyncio.wait({gone}, timeout=seconds)
    finally:
        if not gone.done():
            gone.cancel()
    return not (done and gone.result()["type"] == "http.disconnect")


async def _capture(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[Message, bytes]:
    """Run the app, keeping its response instead of sending it."""
    start: Message = {}
    chunks: list[bytes] = []

    async def keep(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, keep)
    return start, b"".join(chunks)


async def _abort(scope: Scope, receive: Receive) -> None:
    """Close the connection without a response, then wait until the server has noticed."""
    abort = scope.get("extensions", {}).get(ABORT_EXTENSION)
    if abort is None:
        raise RuntimeError("this server cannot drop connections (no abort extension)")
    abort()
    while (await receive())["type"] != "http.disconnect":
        pass
