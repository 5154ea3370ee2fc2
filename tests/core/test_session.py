"""Session against the real simulator: sign-in, tokens in the keychain, restore, refresh ahead of
expiry, refused refresh, every way a sign-in fails, disconnect."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from keyring.backends import fail

from app.core.events import (
    Activity,
    ActivityKind,
    EventBus,
    SessionChanged,
    SessionState,
)
from app.core.keychain import Keychain, token_name
from app.core.session import REFRESH_MARGIN, LoginError, LoginErrorKind, Session
from app.demo import demo_connection
from app.sim import SimServer
from app.webull.errors import AuthError
from app.webull.oauth import TokenManager, TokenSet, parse_callback
from app.webull.ratelimit import WEBULL_LIMITS, Limit, RateLimiter
from app.webull.transport import Transport
from tests.fakes import Recorder


class Clock:
    """The session's idea of now: the real time plus an offset a test may set."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


Factory = Callable[..., Session]


@pytest.fixture(scope="module")
def limiter() -> Iterator[RateLimiter]:
    """Webull's limits but a roomy token group: these tests sign in far more often than the
    10 per 30 s a real app key allows (the process-wide limiter would make them wait)."""
    limiter = RateLimiter({**WEBULL_LIMITS, "token": Limit(500, 30)})
    yield limiter


@pytest.fixture
async def make_session(sim: SimServer, bus: EventBus, keychain: Keychain, limiter: RateLimiter
                       ) -> AsyncIterator[Factory]:
    made: list[Session] = []
    transports: list[Transport] = []

    def factory(*, keychain_: Keychain | None = keychain, now: Callable[[], datetime] | None = None,
                **creds_changes: str) -> Session:
        env, creds = demo_connection(sim)
        if creds_changes:
            creds = replace(creds, **creds_changes)
        kw = {"now": now} if now is not None else {}
        transport = Transport(env, creds.signing_key, limiter=limiter)
        transports.append(transport)
        session = Session(env, creds, bus, keychain=keychain_, transport=transport, **kw)
        made.append(session)
        return session

    yield factory
    for session in made:
        await session.aclose()
    for transport in transports:
        await transport.aclose()


async def browse(url: str) -> str:
    """Play the browser against the auto-approving simulator: the redirect it answers with."""
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as browser:
        answer = await browser.get(url)
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


async def sign_in(session: Session) -> None:
    request = session.begin_login()
    await session.complete_login(await browse(request.url))


def saved(keychain: Keychain, session: Session) -> TokenSet | None:
    raw = keychain.get(token_name(session.environment.name, session.creds.client_id))
    return None if raw is None else TokenSet.from_dict(json.loads(raw))


def states(recorder: Recorder) -> list[SessionState]:
    return [e.state for e in recorder.of(SessionChanged)]


async def test_sign_in_connects_and_saves_tokens(make_session: Factory, keychain: Keychain,
                                                 recorder: Recorder) -> None:
    session = make_session()
    assert session.state is SessionState.DISCONNECTED
    with pytest.raises(AuthError, match="sign in first"):
        await session.client.list_accounts()
    request = session.begin_login()
    assert session.state is SessionState.CONNECTING
    assert request.redirect_uri == session.creds.redirect_uri
    assert "127.0.0.1" in request.allowed_hosts
    await session.complete_login(await browse(request.url))
    assert session.state is SessionState.CONNECTED
    assert session.tokens is not None
    assert saved(keychain, session) == session.tokens
    assert states(recorder) == [SessionState.CONNECTING, SessionState.CONNECTED]
    last = recorder.of(SessionChanged)[-1]
    assert last.identity_id == session.tokens.identity_id
    assert last.access_expires_at == session.tokens.access_expires_at
    assert last.refresh_expires_at == session.tokens.refresh_expires_at
    assert await session.client.list_accounts()


async def test_restore_in_a_new_session(make_session: Factory, recorder: Recorder) -> None:
    first = make_session()
    await sign_in(first)
    await first.aclose()
    second = make_session()
    assert await second.restore() is True
    assert second.state is SessionState.CONNECTED
    assert second.tokens == first.tokens  # still valid: no refresh needed
    assert "saved sign-in" in second.message
    assert await second.client.list_accounts()
    assert states(recorder)[-2:] == [SessionState.CONNECTING, SessionState.CONNECTED]


async def test_restore_refreshes_an_expiring_access_token(make_session: Factory,
                                                          keychain: Keychain) -> None:
    first = make_session()
    await sign_in(first)
    old = first.tokens
    assert old is not None
    clock = Clock()
    clock.offset = old.access_expires_at - datetime.now(UTC) - timedelta(seconds=30)
    second = make_session(now=clock)
    assert await second.restore() is True
    assert second.tokens is not None
    assert second.tokens.access_token != old.access_token
    assert saved(keychain, second) == second.tokens


async def test_restore_without_saved_tokens(make_session: Factory) -> None:
    session = make_session()
    assert await session.restore() is False
    assert session.state is SessionState.DISCONNECTED
    assert "Not signed in" in session.message


async def test_restore_with_expired_tokens(make_session: Factory, keychain: Keychain) -> None:
    first = make_session()
    await sign_in(first)
    clock = Clock()
    clock.offset = timedelta(days=16)  # past the refresh token's 15 days
    second = make_session(now=clock)
    assert await second.restore() is False
    assert second.state is SessionState.DISCONNECTED
    assert "expired on" in second.message and "connect to sign in again" in second.message
    assert saved(keychain, second) is None


async def test_restore_with_refused_tokens(make_session: Factory, keychain: Keychain,
                                           sim: SimServer) -> None:
    first = make_session()
    await sign_in(first)
    assert first.tokens is not None
    sim.revoke_user_tokens("demo")
    clock = Clock()
    clock.offset = first.tokens.access_expires_at - datetime.now(UTC)  # access token expired
    second = make_session(now=clock)
    assert await second.restore() is False
    assert second.state is SessionState.DISCONNECTED
    assert "no longer accepts the saved sign-in" in second.message
    assert second.tokens is None
    assert saved(keychain, second) is None


async def test_restore_with_unreadable_tokens(make_session: Factory, keychain: Keychain) -> None:
    session = make_session()
    keychain.set(token_name(session.environment.name, session.creds.client_id), "{garbage")
    assert await session.restore() is False
    assert "could not be read" in session.message
    assert saved(keychain, session) is None


async def test_restore_with_unusable_keychain(make_session: Factory) -> None:
    broken = Keychain("Pennant-test", backend=fail.Keyring())
    try:
        session = make_session(keychain_=broken)
        assert await session.restore() is False
        assert session.state is SessionState.DISCONNECTED
        assert session.message == broken.status().problem
        assert "no system keychain was found" in session.message
    finally:
        broken.close()


async def test_keychain_failure_keeps_the_session(make_session: Factory,
                                                  recorder: Recorder) -> None:
    broken = Keychain("Pennant-test", backend=fail.Keyring())
    try:
        session = make_session(keychain_=broken)
        await sign_in(session)
        assert session.state is SessionState.CONNECTED
        warnings = [a for a in recorder.of(Activity) if a.kind is ActivityKind.WARNING]
        assert len(warnings) == 1
        assert "could not be saved in the system keychain" in warnings[0].text
        assert "stay signed in until Pennant closes" in warnings[0].text
    finally:
        broken.close()


async def test_denied(make_session: Factory, recorder: Recorder) -> None:
    session = make_session()
    request = session.begin_login()
    state = parse_qs(urlsplit(request.url).query)["state"][0]
    callback = f"{request.redirect_uri}?{urlencode({'error': 'access_denied', 'state': state})}"
    with pytest.raises(LoginError) as caught:
        await session.complete_login(callback)
    assert caught.value.kind is LoginErrorKind.DENIED
    assert "access was denied" in caught.value.message
    assert session.state is SessionState.DISCONNECTED
    assert session.message == caught.value.message
    assert states(recorder) == [SessionState.CONNECTING, SessionState.DISCONNECTED]


async def test_wrong_state(make_session: Factory) -> None:
    session = make_session()
    request = session.begin_login()
    callback = await browse(request.url)
    forged = callback.replace("state=", "state=forged")
    with pytest.raises(LoginError) as caught:
        await session.complete_login(forged)
    assert caught.value.kind is LoginErrorKind.STATE
    assert "does not belong to a sign-in started here" in caught.value.message
    assert session.tokens is None


async def test_no_sign_in_in_progress(make_session: Factory) -> None:
    session = make_session()
    with pytest.raises(LoginError) as caught:
        await session.complete_login("https://pennant.invalid/oauth/callback?code=x&state=y")
    assert caught.value.kind is LoginErrorKind.STATE


async def test_answer_to_the_wrong_address(make_session: Factory) -> None:
    session = make_session()
    request = session.begin_login()
    callback = await browse(request.url)
    with pytest.raises(LoginError) as caught:
        await session.complete_login(callback.replace("pennant.invalid", "evil.example"))
    assert caught.value.kind is LoginErrorKind.BAD_CALLBACK
    assert "registered redirect URI" in caught.value.message


async def test_spent_code_is_expired_code(make_session: Factory, sim: SimServer,
                                          limiter: RateLimiter) -> None:
    """The simulator, like Webull, answers 417 token.auth.code.error for a used or expired
    code: that is EXPIRED_CODE (REJECTED is for refused app credentials, a 401)."""
    session = make_session()
    request = session.begin_login()
    callback = await browse(request.url)
    env, creds = demo_connection(sim)
    transport = Transport(env, creds.signing_key, limiter=limiter)
    try:  # someone else redeems the code first
        await TokenManager(transport, creds).exchange_code(parse_callback(callback).code or "")
    finally:
        await transport.aclose()
    with pytest.raises(LoginError) as caught:
        await session.complete_login(callback)
    assert caught.value.kind is LoginErrorKind.EXPIRED_CODE
    assert "already used or expired" in caught.value.message
    assert session.state is SessionState.DISCONNECTED


async def test_refused_app_credentials(make_session: Factory) -> None:
    session = make_session(client_secret="not-the-secret")
    request = session.begin_login()
    with pytest.raises(LoginError) as caught:
        await session.complete_login(await browse(request.url))
    assert caught.value.kind is LoginErrorKind.REJECTED
    assert "Check the client ID, client secret" in caught.value.message


async def test_simulator_stopped_is_network(bus: EventBus, keychain: Keychain) -> None:
    with SimServer(seed=7, auto_approve=True) as own:
        env, creds = demo_connection(own)
        session = Session(env, creds, bus, keychain=keychain)
        request = session.begin_login()
        callback = await browse(request.url)
    try:
        with pytest.raises(LoginError) as caught:
            await session.complete_login(callback)
        assert caught.value.kind is LoginErrorKind.NETWORK
        assert "could not be reached" in caught.value.message
        assert session.state is SessionState.DISCONNECTED
    finally:
        await session.aclose()


async def test_cancel_login_returns_to_the_previous_state(make_session: Factory) -> None:
    session = make_session()
    await sign_in(session)
    message = session.message
    session.begin_login()
    assert session.state is SessionState.CONNECTING
    session.cancel_login()
    assert (session.state, session.message) == (SessionState.CONNECTED, message)
    session.cancel_login()  # nothing in progress: no change
    assert session.state is SessionState.CONNECTED


async def test_refresh_ahead_of_expiry(make_session: Factory, keychain: Keychain,
                                       recorder: Recorder) -> None:
    first = make_session()
    await sign_in(first)
    await first.aclose()
    old = first.tokens
    assert old is not None
    clock = Clock()  # 0.3 s before the refresh is due
    due = old.access_expires_at - REFRESH_MARGIN
    clock.offset = due - datetime.now(UTC) - timedelta(seconds=0.3)
    refreshed = asyncio.Event()
    bus_events: list[SessionChanged] = []

    def on_event(event: object) -> None:
        if isinstance(event, SessionChanged) and event.state is SessionState.CONNECTED:
            bus_events.append(event)
            if event.access_expires_at != old.access_expires_at:
                refreshed.set()

    first.bus.subscribe(on_event)
    second = make_session(now=clock)
    assert await second.restore() is True
    assert second.tokens == old  # not yet due
    await asyncio.wait_for(refreshed.wait(), 10)
    assert second.tokens is not None and second.tokens.access_token != old.access_token
    assert bus_events[-1].access_expires_at == second.tokens.access_expires_at
    assert bus_events[-1].access_expires_at > old.access_expires_at
    await second.aclose()  # finishes the keychain write
    assert saved(keychain, second) == second.tokens


async def test_handle_auth_error_refreshes(make_session: Factory, keychain: Keychain) -> None:
    session = make_session()
    await sign_in(session)
    old = session.tokens
    assert await session.handle_auth_error(AuthError("401", status=401)) is True
    assert session.state is SessionState.CONNECTED
    assert session.tokens is not None and session.tokens != old
    await session.aclose()
    assert saved(keychain, session) == session.tokens


async def test_revoked_tokens_expire_the_session(make_session: Factory, sim: SimServer,
                                                 keychain: Keychain, recorder: Recorder) -> None:
    session = make_session()
    await sign_in(session)
    sim.revoke_user_tokens("demo")
    with pytest.raises(AuthError) as caught:
        await session.client.list_accounts()
    assert await session.handle_auth_error(caught.value) is False
    assert session.state is SessionState.EXPIRED
    assert "Webull ended the sign-in" in session.message
    assert "refresh token is invalid, expired or already used" in session.message
    assert recorder.of(SessionChanged)[-1].state is SessionState.EXPIRED
    assert session.tokens is None
    await session.aclose()
    assert saved(keychain, session) is None
    with pytest.raises(AuthError):
        await session.client.list_accounts()
    assert await session.handle_auth_error(AuthError("again")) is False  # stays EXPIRED


async def test_disconnect_wipes_memory_and_keychain(make_session: Factory,
                                                    keychain: Keychain) -> None:
    session = make_session()
    await sign_in(session)
    assert saved(keychain, session) is not None
    await session.disconnect()
    assert session.state is SessionState.DISCONNECTED
    assert session.tokens is None
    assert saved(keychain, session) is None
    assert "removed from this computer" in session.message
    with pytest.raises(AuthError):
        await session.client.list_accounts()
    again = make_session()
    assert await again.restore() is False


async def test_restore_keeps_tokens_when_webull_is_unreachable(make_session: Factory,
                                                               keychain: Keychain,
                                                               sim: SimServer) -> None:
    """No verdict on the saved tokens without an answer: stay signed in and retry later."""
    first = make_session()
    await sign_in(first)
    assert first.tokens is not None
    clock = Clock()
    clock.offset = first.tokens.access_expires_at - datetime.now(UTC)
    sim.faults.drop("/oauth2/tokens/create")
    second = make_session(now=clock)
    assert await second.restore() is True
    assert second.state is SessionState.CONNECTED
    assert "could not be reached" in second.message
    assert second.tokens == first.tokens
    assert saved(keychain, second) == first.tokens


async def test_without_a_keychain_nothing_is_remembered(make_session: Factory) -> None:
    session = make_session(keychain_=None)
    assert await session.restore() is False
    assert "not remembered" in session.message
    await sign_in(session)
    assert session.state is SessionState.CONNECTED
    await session.disconnect()
    assert session.message == "Disconnected."
