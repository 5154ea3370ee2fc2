"""The RFC 8252 loopback redirect listener, alone and in a full system-browser sign-in against
the simulator (httpx plays the browser)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from app.core.events import EventBus, SessionState
from app.core.keychain import Keychain
from app.core.loopback import LoopbackRedirectListener
from app.core.session import LoginError, LoginErrorKind, Session
from app.demo import demo_connection
from app.sim import SimServer
from app.webull.ratelimit import WEBULL_LIMITS, Limit, RateLimiter
from app.webull.transport import Transport

REGISTERED = "http://127.0.0.1/oauth/callback"


@pytest.fixture
async def listener() -> AsyncIterator[LoopbackRedirectListener]:
    lis = LoopbackRedirectListener(REGISTERED, timeout_s=20)
    yield lis
    await lis.aclose()


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False, timeout=5) as client:
        yield client


async def test_redirect_uri_shape(listener: LoopbackRedirectListener) -> None:
    uri = await listener.start()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/oauth/callback/[A-Za-z0-9_-]{22}", uri)
    other = LoopbackRedirectListener(REGISTERED + "/")
    try:
        assert (await other.start()).split("/")[-1] != uri.split("/")[-1]  # random per sign-in
    finally:
        await other.aclose()


@pytest.mark.parametrize("bad", ["https://127.0.0.1/cb", "http://localhost/cb",
                                 "http://127.0.0.1:8000/cb"])
def test_registered_uri_must_be_a_portless_loopback(bad: str) -> None:
    with pytest.raises(ValueError, match="http://127.0.0.1/path"):
        LoopbackRedirectListener(bad)


async def test_callback_is_returned(listener: LoopbackRedirectListener,
                                    browser: httpx.AsyncClient) -> None:
    uri = await listener.start()
    waiting = asyncio.ensure_future(listener.wait())
    answer = await browser.get(uri, params={"code": "abc", "state": "x y"})
    assert answer.status_code == 200
    assert "return to Pennant" in answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert await waiting == f"{uri}?code=abc&state=x+y"
    again = await browser.get(uri, params={"code": "other"})
    assert again.status_code == 200 and "Already received" in again.text
    assert await listener.wait() == f"{uri}?code=abc&state=x+y"


async def test_other_paths_and_methods_keep_waiting(listener: LoopbackRedirectListener,
                                                    browser: httpx.AsyncClient) -> None:
    uri = await listener.start()
    waiting = asyncio.ensure_future(listener.wait())
    base = uri.rsplit("/", 1)[0]
    assert (await browser.get(base + "/guessed?code=abc")).status_code == 404
    assert (await browser.get(base.rsplit("/", 2)[0] + "/favicon.ico")).status_code == 404
    assert (await browser.post(uri, data={"code": "abc"})).status_code == 405
    head = await browser.head(uri + "?code=abc")
    assert head.status_code == 200 and head.content == b""
    assert not waiting.done()
    assert (await browser.get(uri + "?code=real")).status_code == 200
    assert await waiting == uri + "?code=real"


async def test_malformed_request_gets_400(listener: LoopbackRedirectListener) -> None:
    uri = await listener.start()
    port = int(uri.split(":")[2].split("/")[0])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"NONSENSE\r\n\r\n")
    await writer.drain()
    reply = await reader.read()
    writer.close()
    await writer.wait_closed()
    assert reply.startswith(b"HTTP/1.1 400")


async def test_silent_connection_does_not_block(listener: LoopbackRedirectListener,
                                                browser: httpx.AsyncClient) -> None:
    """A browser's speculative pre-connection sends nothing; the real request still lands."""
    uri = await listener.start()
    port = int(uri.split(":")[2].split("/")[0])
    _, idle = await asyncio.open_connection("127.0.0.1", port)
    try:
        assert (await browser.get(uri + "?code=1")).status_code == 200
        assert await listener.wait() == uri + "?code=1"
    finally:
        idle.close()
        await idle.wait_closed()


async def test_timeout() -> None:
    lis = LoopbackRedirectListener(REGISTERED, timeout_s=0.2)
    try:
        await lis.start()
        with pytest.raises(LoginError) as caught:
            await lis.wait()
        assert caught.value.kind is LoginErrorKind.TIMEOUT
        assert "0.2 seconds" in caught.value.message
    finally:
        await lis.aclose()


async def test_aclose_is_idempotent_and_stops_listening(browser: httpx.AsyncClient) -> None:
    lis = LoopbackRedirectListener(REGISTERED)
    uri = await lis.start()
    await lis.aclose()
    await lis.aclose()
    with pytest.raises(httpx.ConnectError):
        await browser.get(uri)
    with pytest.raises(RuntimeError):
        await lis.start()


async def test_browser_route_sign_in(sim: SimServer, keychain: Keychain,
                                     browser: httpx.AsyncClient) -> None:
    env, creds = demo_connection(sim)
    limiter = RateLimiter({**WEBULL_LIMITS, "token": Limit(100, 30)})
    transport = Transport(env, creds.signing_key, limiter=limiter)
    session = Session(env, creds, EventBus(), keychain=keychain, transport=transport)
    lis = LoopbackRedirectListener(sim.info.loopback_redirect_uri)
    try:
        request = session.begin_login(await lis.start())
        assert request.redirect_uri.startswith("http://127.0.0.1:")
        authorize = await browser.get(request.url)  # the simulator approves at once
        assert authorize.status_code == 302
        assert authorize.headers["location"].startswith(request.redirect_uri + "?")
        landing = await browser.get(authorize.headers["location"])
        assert "return to Pennant" in landing.text
        await session.complete_login(await lis.wait())
        assert session.state is SessionState.CONNECTED
        assert await session.client.list_accounts()
    finally:
        await lis.aclose()
        await session.aclose()
        await transport.aclose()
