"""The simulator's HTTP server: the Starlette application and ``SimServer``, which runs it with
uvicorn on a loopback port in a background thread with its own asyncio loop.

    with SimServer(seed=7, clock=ManualClock()) as sim:
        sim.info.base_url           # http://127.0.0.1:PORT
        sim.faults.server_error("/trading/accounts/list")
        sim.revoke_user_tokens("demo")
        sim.set_clock_skew(600)     # the server's clock runs 10 minutes ahead of sim.clock

With ``admin_enabled`` the admin endpoint (admin.py) is served under ``/__sim/admin/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import timedelta
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .admin import ADMIN_PREFIX, build_admin_app, is_admin_path
from .assets_api import AssetsApi
from .clock import Clock, SkewedClock, SystemClock
from .config import SimConfig
from .errors import SYSTEM_ERROR, SimError, error_response
from .faults import ABORT_EXTENSION, FaultMiddleware, Faults
from .instruments_api import InstrumentsApi
from .oauth import AUTHORIZE_PATHS, OAuthEndpoints
from .orders import OrderBook
from .orders_api import OrdersApi
from .state import DemoUser, SimState

log = logging.getLogger("app.sim")
access_log = logging.getLogger("app.sim.access")


@dataclass(frozen=True)
class SimInfo:
    """Where the simulator listens and the demo partner app's credentials."""

    base_url: str
    login_url: str
    client_id: str
    client_secret: str = field(repr=False)
    app_key: str = ""
    app_secret: str = field(default="", repr=False)
    redirect_uri: str = ""
    scope: str = ""
    #: the registered loopback redirect for system-browser sign-in ("" if none), RFC 8252
    loopback_redirect_uri: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


# ------------------------------------------------------------------------------ the app


class RequestIdMiddleware:
    """Adds ``X-Request-Id`` to every answer (the SDK reads it) and writes the access log."""

    def __init__(self, app: ASGIApp, enabled: Callable[[], bool]) -> None:
        self.app = app
        self.enabled = enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-request-id", request_id.encode())]}
                if self.enabled():  # never the query string: it may carry state or codes
                    access_log.info("%s %s -> %s", scope["method"], scope["path"],
                                    message["status"])
            await send(message)

        await self.app(scope, receive, send_with_id)


def build_app(state: SimState) -> ASGIApp:
    async def sim_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SimError)
        return exc.response(getattr(request.state, "channel", None))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
        return error_response(exc.status_code, code, str(exc.detail), exc.headers)

    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("simulator failure on %s", request.url.path)
        return error_response(500, SYSTEM_ERROR, "Internal Server Error")

    async def root(request: Request) -> Response:
        return JSONResponse({"name": "Pennant Webull simulator",
                             "authorize": list(AUTHORIZE_PATHS)})

    routes = [Route("/", root, methods=["GET"])]
    routes += OAuthEndpoints(state).routes()
    routes += AssetsApi(state).routes()
    routes += InstrumentsApi(state).routes()
    routes += OrdersApi(state).routes()
    app = Starlette(routes=routes, exception_handlers={
        SimError: sim_error, HTTPException: http_error, Exception: crash,
    })
    return RequestIdMiddleware(FaultMiddleware(app, state.faults),
                               lambda: state.config.access_log)


# ------------------------------------------------------------------------------ running it


class _Protocol(HttpToolsProtocol):
    """uvicorn's httptools protocol (a C HTTP parser: about twice the requests per core of the
    pure-Python h11 one), plus a scope extension to cut the connection (fault injection)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inner = self.app

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            scope.setdefault("extensions", {})[ABORT_EXTENSION] = self._abort
            await inner(scope, receive, send)

        self.app = app

    def _abort(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket. Created with ``IPPROTO_TCP`` explicitly: asyncio only disables
    Nagle's algorithm on sockets whose ``proto`` says TCP, and without TCP_NODELAY every
    response on a kept-alive connection waits ~40 ms for a delayed ACK."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if os.name != "nt":  # on Windows SO_REUSEADDR would allow stealing the port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, started: threading.Event) -> None:
        super().__init__(config)
        self._started_event = started
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        await super().startup(sockets=sockets)
        self._started_event.set()

    async def main_loop(self) -> None:
        """uvicorn's loop (a tick every 0.1 s), but woken at once by ``request_exit``."""
        counter = 0
        assert self._wake is not None
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864_000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)

    def request_exit(self) -> None:
        """Thread-safe: ask the server to shut down now."""
        self.should_exit = True
        if self._loop is not None and self._wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                self._loop.call_soon_threadsafe(self._wake.set)


def _configured(config: SimConfig, overrides: dict[str, Any]) -> SimConfig:
    """A validated copy of ``config`` with ``overrides`` applied."""
    unknown = set(overrides) - {f.name for f in fields(SimConfig)}
    if unknown:
        raise TypeError(f"unknown simulator settings: {', '.join(sorted(unknown))}")
    return replace(config, **overrides)


class SimServer:
    """The simulator on a loopback port, served from a background thread.

    ``start()`` returns once the server accepts connections; ``stop()`` shuts it down, closes its
    socket and joins its thread. A stopped server can be started again: its state (tokens,
    clock, faults) is kept and it listens on the same port again. ``reset()`` starts over with
    fresh state while it keeps listening.

    Settings come from ``config`` (copied) with keyword overrides; ``sim.config`` is the live
    copy, read on every request, so tests may change e.g. ``strict_signature`` while it runs.

    ``clock`` is the reference clock (the callers' time; a ``ManualClock`` in tests). The state
    reads it through a ``SkewedClock`` (``server_clock``), so ``set_clock_skew()`` can make the
    server run ahead of or behind its callers; the skew starts at 0 and ``reset()`` zeroes it.
    """

    def __init__(self, config: SimConfig | None = None, *, clock: Clock | None = None,
                 **overrides: Any) -> None:
        self._pristine = _configured(config or SimConfig(), overrides)
        self.config = replace(self._pristine)
        self._admin = RequestIdMiddleware(build_admin_app(self), lambda: self.config.access_log)
        self._install(self.config, clock or SystemClock())
        self._thread: threading.Thread | None = None
        self._server: _Server | None = None
        self._port: int | None = None
        self._info: SimInfo | None = None
        self.startup_seconds: float | None = None

    def _install(self, config: SimConfig, clock: Clock) -> None:
        skewed = SkewedClock(clock)
        self.state = SimState(config, skewed)
        self._server_clock = skewed
        self._app = build_app(self.state)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI application: the current state's (``reset()`` swaps it), and the admin
        endpoint when ``config.admin_enabled`` (read per request)."""
        if (scope["type"] == "http" and self.config.admin_enabled
                and is_admin_path(scope["path"])):
            await self._admin(scope, receive, send)
            return
        await self._app(scope, receive, send)

    def reset(self, config: SimConfig | None = None, *, clock: Clock | None = None,
              **overrides: Any) -> None:
        """Start over as if newly built — users, tokens, market, faults, rate-limit windows —
        but keep listening on the same address. Without ``config`` the settings the server was
        built with are used again; without ``clock`` the current clock is kept. The clock skew
        goes back to 0."""
        fresh = _configured(config or self._pristine, overrides)
        fresh.host, fresh.port = self.config.host, self.config.port
        self.config = fresh
        self._install(fresh, clock or self.clock)
        if self._info is not None:
            self._info = self._make_info(self._info.base_url)

    # ---------------------------------------------------------------- conveniences
    @property
    def info(self) -> SimInfo:
        if self._info is None:
            raise RuntimeError("the simulator is not running")
        return self._info

    @property
    def base_url(self) -> str:
        return self.info.base_url

    @property
    def admin_url(self) -> str:
        """The admin endpoint's base URL (served only when ``config.admin_enabled``)."""
        return self.info.base_url + ADMIN_PREFIX + "/"

    @property
    def clock(self) -> Clock:
        """The reference clock: the callers' time (the server's is ``server_clock``)."""
        return self._server_clock.base

    @property
    def server_clock(self) -> SkewedClock:
        """The clock the simulator's state reads: ``clock`` plus ``clock_skew_s``."""
        return self._server_clock

    @property
    def clock_skew_s(self) -> float:
        return self._server_clock.skew_s

    def set_clock_skew(self, seconds: float | timedelta) -> None:
        """Run the server's clock ``seconds`` ahead of ``clock`` (behind when negative).
        Thread-safe; affects the x-timestamp window and every expiry from the next request."""
        self._server_clock.set_skew(seconds)

    @property
    def faults(self) -> Faults:
        return self.state.faults

    @property
    def orders(self) -> OrderBook:
        """Every account's orders and the matching engine (read it; change it via HTTP)."""
        return self.state.orders

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def demo_users(self) -> list[DemoUser]:
        return self.state.demo_users()

    def revoke_user_tokens(self, user: str, client_id: str | None = None) -> int:
        return self.state.revoke_user_tokens(user, client_id)

    # ---------------------------------------------------------------- lifecycle
    def start(self, timeout: float = 10.0) -> SimInfo:
        if self.running:
            raise RuntimeError("the simulator is already running")
        began = time.perf_counter()
        sock = _listen(self.config.host, self._port or self.config.port)
        self._port = sock.getsockname()[1]
        started = threading.Event()
        config = uvicorn.Config(
            self.app, interface="asgi3", lifespan="off", http=_Protocol, ws="none",
            log_config=None, access_log=False, proxy_headers=False, server_header=False,
            timeout_graceful_shutdown=2, timeout_keep_alive=5,
        )
        server = _Server(config, started)
        thread = threading.Thread(target=self._run, args=(server, sock),
                                  name=f"pennant-sim:{self._port}", daemon=True)
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + timeout
        while not started.wait(0.05):
            if not thread.is_alive() or time.monotonic() > deadline:
                server.request_exit()
                thread.join(timeout)
                sock.close()
                self._server = self._thread = None
                raise RuntimeError("the simulator failed to start")
        host = self.config.host
        base = f"http://{'[' + host + ']' if ':' in host else host}:{self._port}"
        self._info = self._make_info(base)
        self.startup_seconds = time.perf_counter() - began
        log.info("Webull simulator listening on %s (seed %d)", base, self.config.seed)
        return self._info

    def _make_info(self, base: str) -> SimInfo:
        partner = self.state.partner
        return SimInfo(
            base_url=base, login_url=base + AUTHORIZE_PATHS[0], client_id=partner.client_id,
            client_secret=partner.client_secret, app_key=partner.app_key,
            app_secret=partner.app_secret, redirect_uri=partner.redirect_uris[0],
            scope=partner.scope, loopback_redirect_uri=self.config.loopback_redirect_uri or "",
        )

    @staticmethod
    def _run(server: _Server, sock: socket.socket) -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException:
            log.exception("the simulator stopped unexpectedly")
        finally:
            sock.close()

    def stop(self, timeout: float = 10.0) -> None:
        thread, server = self._thread, self._server
        if thread is None or server is None:
            return
        server.request_exit()
        thread.join(timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout)
        if thread.is_alive():
            raise RuntimeError("the simulator did not stop")
        self._thread = self._server = None
        self._info = None

    def __enter__(self) -> SimServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self._info.base_url if self._info else "stopped"
        return f"SimServer(seed={self.config.seed}, {where})"
