"""RFC 8252 system-browser sign-in: a one-shot redirect listener on the loopback interface.

The app registers a loopback redirect such as ``http://127.0.0.1/oauth/callback``; Webull
accepts any port and any path below it. The listener binds 127.0.0.1 on a port the OS picks and
waits on the registered path plus a random segment, so only the browser that was sent there can
deliver the answer. HTTP is parsed with h11; every connection gets one answer and is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from urllib.parse import urlsplit

import h11

from .session import LoginError, LoginErrorKind

log = logging.getLogger(__name__)

#: a connection that sends no complete request within this time is closed
_REQUEST_TIMEOUT_S = 10.0
_MAX_REQUEST_BYTES = 64 * 1024

_DONE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pennant sign-in</title>
<style>body{font-family:system-ui,sans-serif;margin:4em auto;max-width:32em;color:#222}</style>
</head><body><h1>Sign-in received</h1>
<p>You can close this tab and return to Pennant.</p></body></html>
"""
_AGAIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pennant sign-in</title></head>
<body><h1>Already received</h1><p>Pennant already has this sign-in answer. Return to Pennant.
</p></body></html>
"""
_NOT_FOUND_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Not found</title></head>
<body><h1>Not found</h1><p>This address is not a Pennant sign-in answer.</p></body></html>
"""


class LoopbackRedirectListener:
    """Receives one OAuth redirect on 127.0.0.1 for the system-browser sign-in route."""

    def __init__(self, registered_uri: str, *, timeout_s: float = 300.0) -> None:
        url = urlsplit(registered_uri)
        if url.scheme != "http" or url.hostname != "127.0.0.1" or url.port is not None:
            raise ValueError("the loopback redirect URI must look like "
                             "http://127.0.0.1/path (no port: one is picked per sign-in)")
        self.registered_uri = registered_uri
        self.timeout_s = timeout_s
        self._path = f"{url.path.rstrip('/')}/{secrets.token_urlsafe(16)}"
        self._server: asyncio.Server | None = None
        self._port: int | None = None
        self._result: asyncio.Future[str] | None = None
        self._deadline: float | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._closed = False

    def __repr__(self) -> str:  # the random path is a secret of this sign-in
        where = f"port {self._port}" if self._port else "not started"
        return f"LoopbackRedirectListener({where})"

    @property
    def redirect_uri(self) -> str:
        if self._port is None:
            raise RuntimeError("the loopback listener is not started")
        return f"http://127.0.0.1:{self._port}{self._path}"

    async def start(self) -> str:
        """Listen, and return the redirect URI to send with the authorization request."""
        if self._server is not None or self._closed:
            raise RuntimeError("a loopback listener is started once")
        loop = asyncio.get_running_loop()
        self._result = loop.create_future()
        self._server = await asyncio.start_server(self._serve, host="127.0.0.1", port=0)
        self._port = self._server.sockets[0].getsockname()[1]
        self._deadline = loop.time() + self.timeout_s
        log.info("waiting for the browser sign-in on 127.0.0.1:%d", self._port)
        return self.redirect_uri

    async def wait(self) -> str:
        """The full callback URL of the first GET on the redirect path.

        Raises LoginError(TIMEOUT) if none arrives within ``timeout_s`` of ``start()``."""
        if self._result is None or self._deadline is None:
            raise RuntimeError("start the loopback listener before waiting on it")
        remaining = max(0.0, self._deadline - asyncio.get_running_loop().time())
        try:
            return await asyncio.wait_for(asyncio.shield(self._result), remaining)
        except TimeoutError:
            minutes = self.timeout_s / 60
            span = f"{minutes:g} minutes" if minutes >= 1 else f"{self.timeout_s:g} seconds"
            raise LoginError(
                LoginErrorKind.TIMEOUT,
                f"No sign-in answer came back from the browser within {span}. Start the "
                "sign-in again.",
            ) from None

    async def aclose(self) -> None:
        """Stop listening and drop open connections. Idempotent."""
        self._closed = True
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.wait(self._connections)
        if server is not None:
            await server.wait_closed()
        if self._result is not None and not self._result.done():
            self._result.cancel()

    # ---------------------------------------------------------------- HTTP
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await asyncio.wait_for(self._answer(reader, writer), _REQUEST_TIMEOUT_S)
        except (TimeoutError, ConnectionError, h11.ProtocolError) as exc:
            log.debug("loopback connection dropped: %s", type(exc).__name__)
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=_MAX_REQUEST_BYTES)
        request: h11.Request | None = None
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError:
                await self._respond(writer, conn, 400, "<p>Bad request.</p>")
                return
            if event is h11.NEED_DATA:
                data = await reader.read(8192)
                conn.receive_data(data)  # b"" marks the end of the stream
                continue
            if isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.EndOfMessage) and request is not None:
                break
            elif isinstance(event, h11.ConnectionClosed):
                return
        target = request.target.decode("ascii", "replace")
        head = request.method == b"HEAD"
        path = target.split("?", 1)[0] if target.startswith("/") else urlsplit(target).path
        if path != self._path:
            await self._respond(writer, conn, 404, _NOT_FOUND_PAGE, head=head)
            return
        if request.method not in (b"GET", b"HEAD"):
            await self._respond(writer, conn, 405, "<p>Method not allowed.</p>",
                                extra=[(b"allow", b"GET")])
            return
        assert self._result is not None
        if self._result.done():
            await self._respond(writer, conn, 200, _AGAIN_PAGE, head=head)
            return
        if head:  # a probe, not the browser's navigation: it carries no answer
            await self._respond(writer, conn, 200, _DONE_PAGE, head=True)
            return
        query = urlsplit(target).query
        url = f"http://127.0.0.1:{self._port}{self._path}" + (f"?{query}" if query else "")
        self._result.set_result(url)  # first: the answer counts even if the reply is lost
        await self._respond(writer, conn, 200, _DONE_PAGE)

    @staticmethod
    async def _respond(writer: asyncio.StreamWriter, conn: h11.Connection, status: int,
                       html: str, *, head: bool = False,
                       extra: list[tuple[bytes, bytes]] | None = None) -> None:
        # IDLE: the request was too garbled to parse, and a 400 may still be sent
        if conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        body = html.encode("utf-8")
        length = str(len(body)).encode()
        if head:  # same headers as for GET, no body (h11 frames HEAD answers as empty)
            body = b""
        headers = [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", length),
            (b"cache-control", b"no-store"),
            (b"referrer-policy", b"no-referrer"),
            (b"connection", b"close"),
            *(extra or []),
        ]
        writer.write(conn.send(h11.Response(status_code=status, headers=headers)))
        if body:
            writer.write(conn.send(h11.Data(data=body)) or b"")
        writer.write(conn.send(h11.EndOfMessage()) or b"")
        await writer.drain()
