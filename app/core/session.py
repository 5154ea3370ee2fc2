"""The session: sign-in, tokens kept in the keychain, refresh ahead of expiry, disconnect.

States (SessionState): DISCONNECTED → CONNECTING (sign-in or restore) → CONNECTED; a refused
refresh makes it EXPIRED (the last data stays, read-only, until the user connects again).
Every state change and every token refresh is published as ``SessionChanged`` so the UI can
show the state and the token lifetimes.

Tokens reach the keychain through TokenManager's ``on_change``: each change becomes one write,
chained after the one before, so the keychain always ends with the latest tokens. A keychain
failure never ends the session: it is published as an Activity WARNING and the tokens stay in
memory.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import NoReturn

from app.webull.client import WebullClient
from app.webull.environments import Environment
from app.webull.errors import (
    AuthorizationDeniedError,
    OAuthFlowError,
    StateError,
    TokenRejectedError,
    TransportError,
    WebullError,
)
from app.webull.oauth import (
    AuthorizationFlow,
    ConnectCredentials,
    StateStore,
    TokenManager,
    TokenSet,
)
from app.webull.transport import Transport

from .events import Activity, ActivityKind, EventBus, SessionChanged, SessionState
from .keychain import Keychain, KeychainError, token_name

log = logging.getLogger(__name__)

#: refresh this long before the access token expires
REFRESH_MARGIN = timedelta(minutes=2)
#: after a refresh failed for want of a network, try again this much later
REFRESH_RETRY_S = 30.0


class LoginErrorKind(StrEnum):
    DENIED = "denied"  # the user pressed Deny (or Webull refused the authorization)
    STATE = "state"  # the answer does not belong to a sign-in started here, or came too late
    EXPIRED_CODE = "expired_code"  # the code was already used or expired before the exchange
    REJECTED = "rejected"  # Webull refused the app's credentials at the token exchange
    NETWORK = "network"  # Webull could not be reached or did not answer usably
    TIMEOUT = "timeout"  # no answer came back from the browser in time (loopback route)
    BAD_CALLBACK = "bad_callback"  # the answer is malformed or went to the wrong address
    #: the app's secrets cannot be read from the keychain (raised by the UI around
    #: settings.load_credentials, before a Session can exist)
    KEYCHAIN = "keychain"


class LoginError(Exception):
    """A sign-in failed; ``message`` says why in plain words for the login view."""

    def __init__(self, kind: LoginErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    def __repr__(self) -> str:
        return f"LoginError({self.kind.value}, {self.message!r})"


@dataclass(frozen=True)
class LoginRequest:
    url: str  # the authorization URL to open
    redirect_uri: str  # where the answer will arrive
    allowed_hosts: tuple[str, ...]  # hosts the embedded login view may navigate to


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Session:
    """One app's connection to one Webull environment."""

    def __init__(self, environment: Environment, creds: ConnectCredentials, bus: EventBus, *,
                 keychain: Keychain | None, transport: Transport | None = None,
                 now: Callable[[], datetime] = _utcnow) -> None:
        self.environment = environment
        self.creds = creds
        self.bus = bus
        self.keychain = keychain
        self._transport = transport or Transport(environment, creds.signing_key)
        self._owns_transport = transport is None
        self._now = now
        self._token_entry = token_name(environment.name, creds.client_id)
        self._states = StateStore()
        self._manager = self._new_manager(None)
        self.client = WebullClient(self._transport, self._access_token)
        self.state = SessionState.DISCONNECTED
        self.message = ""
        self._flow: AuthorizationFlow | None = None
        self._before_login: tuple[SessionState, str] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timed_refresh: asyncio.Task[None] | None = None
        self._last_write: asyncio.Task[bool] | None = None
        self._keychain_warned = False
        self._closed = False

    def __repr__(self) -> str:
        return f"Session({self.environment.name!r}, {self.state.value})"

    @property
    def tokens(self) -> TokenSet | None:
        return self._manager.tokens

    # ---------------------------------------------------------------- restore
    async def restore(self) -> bool:
        """Sign in with the tokens saved in the keychain. Never raises."""
        if self.tokens is not None:
            return True
        if self.keychain is None:
            self._set_state(SessionState.DISCONNECTED,
                            "Sign-ins are not remembered on this computer; connect to sign in.")
            return False
        status = self.keychain.status()
        if not status.usable:
            self._set_state(SessionState.DISCONNECTED, status.problem)
            return False
        self._set_state(SessionState.CONNECTING, "Restoring the saved sign-in…")
        try:
            stored = await self.keychain.aget(self._token_entry)
        except KeychainError as exc:
            self._set_state(SessionState.DISCONNECTED, str(exc))
            return False
        if stored is None:
            self._set_state(SessionState.DISCONNECTED, "Not signed in; connect to sign in.")
            return False
        tokens = _decode_tokens(stored)
        if tokens is None or not tokens.refresh_valid(self._now()):
            why = ("could not be read" if tokens is None else
                   f"expired on {tokens.refresh_expires_at:%Y-%m-%d %H:%M} UTC")
            self._persist(None)
            await self._flush_writes()
            self._set_state(SessionState.DISCONNECTED,
                            f"The saved sign-in {why} and was removed; connect to sign in again.")
            return False
        self._manager = self._new_manager(tokens)
        message = f"Signed in to {self.environment.label} (saved sign-in)."
        if not tokens.access_valid(self._now(), REFRESH_MARGIN):
            try:
                await self._manager.refresh()
            except TokenRejectedError as exc:
                await self._flush_writes()
                self._set_state(SessionState.DISCONNECTED,
                                f"Webull no longer accepts the saved sign-in ({exc.message}); "
                                "connect to sign in again.")
                return False
            except WebullError as exc:
                # the tokens may well be good: keep them and renew once Webull is reachable
                log.warning("could not renew the saved sign-in: %s", exc)
                message = (f"Signed in from the saved sign-in, but Webull could not be reached "
                           f"to renew it ({exc.message}); Pennant keeps trying.")
                self._schedule_refresh(REFRESH_RETRY_S)
            else:
                await self._flush_writes()
        if self._timer is None:
            self._schedule_refresh()
        self._set_state(SessionState.CONNECTED, message)
        return True

    # ---------------------------------------------------------------- sign-in
    def begin_login(self, redirect_uri: str | None = None) -> LoginRequest:
        """Start a sign-in. ``redirect_uri`` None: the registered redirect (embedded view);
        otherwise a loopback URI from LoopbackRedirectListener (system-browser route)."""
        uri = redirect_uri or self.creds.redirect_uri
        creds = self.creds if uri == self.creds.redirect_uri else replace(self.creds,
                                                                          redirect_uri=uri)
        self._flow = AuthorizationFlow(self.environment, creds, self._states)
        url = self._flow.begin()
        if self.state is not SessionState.CONNECTING or self._before_login is None:
            self._before_login = (self.state, self.message)
        self._set_state(SessionState.CONNECTING, "Waiting for you to sign in to Webull…")
        return LoginRequest(url, uri, self.environment.login_hosts)

    async def complete_login(self, callback_url: str) -> None:
        """Check the answer, exchange its code for tokens and save them. Raises LoginError."""
        flow, self._flow = self._flow, None
        if flow is None:
            raise LoginError(LoginErrorKind.STATE,
                             "No sign-in is in progress here; start the sign-in again.")
        try:
            code = flow.complete(callback_url)
        except AuthorizationDeniedError as exc:
            self._login_failed(LoginErrorKind.DENIED, f"Sign-in not completed: {exc.message}.")
        except StateError as exc:
            self._login_failed(LoginErrorKind.STATE,
                               f"Sign-in refused for safety: {exc.message}. Start it again.")
        except OAuthFlowError as exc:
            self._login_failed(LoginErrorKind.BAD_CALLBACK,
                               f"The sign-in answer was not usable: {exc.message}. Start the "
                               "sign-in again.")
        try:
            await self._manager.exchange_code(code)
        except TokenRejectedError as exc:
            if exc.status == 401:
                self._login_failed(
                    LoginErrorKind.REJECTED,
                    f"Webull refused Pennant's app credentials ({exc.message}). Check the "
                    "client ID, client secret, app key and app secret in Settings.")
            self._login_failed(
                LoginErrorKind.EXPIRED_CODE,
                "Webull did not accept the sign-in code: it was already used or expired "
                f"before Pennant could use it ({exc.message}). Sign in again.")
        except TransportError as exc:
            self._login_failed(
                LoginErrorKind.NETWORK,
                f"Webull could not be reached to finish the sign-in ({exc.message}). Check the "
                "internet connection and sign in again.")
        except WebullError as exc:
            self._login_failed(
                LoginErrorKind.NETWORK,
                f"Webull did not finish the sign-in ({exc}). Try again in a moment.")
        except asyncio.CancelledError:
            # abandoned mid-exchange (window closed): back to the state before the sign-in
            state, message = self._before_login or (SessionState.DISCONNECTED, "")
            self._before_login = None
            self._set_state(state, message)
            raise
        self._before_login = None
        self._set_state(SessionState.CONNECTED, f"Signed in to {self.environment.label}.")
        await self._flush_writes()

    def cancel_login(self) -> None:
        """Abandon a sign-in that waits for the user; back to the state before it."""
        if self._flow is None:
            return
        self._flow = None
        state, message = self._before_login or (SessionState.DISCONNECTED, "")
        self._before_login = None
        self._set_state(state, message)

    def _login_failed(self, kind: LoginErrorKind, message: str) -> NoReturn:
        log.info("sign-in failed (%s)", kind.value)
        state, _ = self._before_login or (SessionState.DISCONNECTED, "")
        self._before_login = None
        if state is SessionState.CONNECTED and self.tokens is None:
            state = SessionState.EXPIRED
        self._set_state(state, message)
        raise LoginError(kind, message)

    # ---------------------------------------------------------------- failures and refresh
    async def handle_auth_error(self, exc: WebullError) -> bool:
        """A data call failed with AuthError: refresh once. True = retry the call; False = the
        sign-in is over (state EXPIRED, message says why; the last data stays)."""
        if self.tokens is None:
            if self.state is SessionState.CONNECTED:
                self._expire(exc)
            return False
        try:
            await self._manager.refresh()
        except TokenRejectedError as refused:
            self._expire(refused)
            return False
        except WebullError as failure:
            # no verdict on the tokens (network, server): they stay; the retry will tell
            log.warning("refresh after a refused call failed: %s", failure)
        return True

    def _expire(self, exc: WebullError) -> None:
        self._cancel_refresh()
        message = (f"Webull ended the sign-in: {exc.message.rstrip('.')}. The figures on screen "
                   "are the last ones received; reconnect to continue.")
        if self.state is SessionState.CONNECTING and self._before_login is not None:
            self._before_login = (SessionState.EXPIRED, message)
        elif self.state is SessionState.CONNECTED:
            self._set_state(SessionState.EXPIRED, message)

    def _schedule_refresh(self, delay: float | None = None) -> None:
        self._cancel_timer()
        tokens = self.tokens
        if tokens is None or self._closed:
            return
        if delay is None:
            due = tokens.access_expires_at - REFRESH_MARGIN - self._now()
            delay = max(0.0, due.total_seconds())
        self._timer = asyncio.get_running_loop().call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._timed_refresh is None or self._timed_refresh.done():
            self._timed_refresh = asyncio.ensure_future(self._refresh_on_timer())

    async def _refresh_on_timer(self) -> None:
        try:
            await self._manager.refresh()  # on_change publishes and schedules the next one
        except TokenRejectedError as exc:
            self._expire(exc)
        except WebullError as exc:
            log.warning("token refresh failed, retrying in %.0f s: %s", REFRESH_RETRY_S, exc)
            self._schedule_refresh(REFRESH_RETRY_S)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _cancel_refresh(self) -> None:
        self._cancel_timer()
        task, self._timed_refresh = self._timed_refresh, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    # ---------------------------------------------------------------- disconnect, close
    async def disconnect(self) -> None:
        """Forget the tokens in memory and in the keychain."""
        self._cancel_refresh()
        self._flow = None
        self._before_login = None
        self._manager.disconnect()  # on_change(None) queues the keychain delete
        wiped = await self._flush_writes()
        message = "Disconnected."
        if self.keychain is not None:
            message += (" The saved sign-in was removed from this computer." if wiped else
                        " The saved sign-in could not be removed from the system keychain.")
        self._set_state(SessionState.DISCONNECTED, message)

    async def aclose(self) -> None:
        """Stop the refresh timer, finish keychain writes and close the transport."""
        self._closed = True
        self._cancel_refresh()
        await self._flush_writes()
        if self._owns_transport:
            await self._transport.aclose()

    # ---------------------------------------------------------------- tokens
    async def _access_token(self) -> str:
        return await self._manager.access_token()

    def _new_manager(self, tokens: TokenSet | None) -> TokenManager:
        manager: TokenManager | None = None

        def changed(new: TokenSet | None) -> None:
            if manager is self._manager:  # a replaced manager's late refresh changes nothing
                self._tokens_changed(new)

        manager = TokenManager(self._transport, self.creds, tokens, refresh_margin=REFRESH_MARGIN,
                               now=self._now, on_change=changed)
        return manager

    def _tokens_changed(self, tokens: TokenSet | None) -> None:
        self._persist(tokens)
        if tokens is None:
            self._cancel_timer()
            return
        self._schedule_refresh()
        if self.state is SessionState.CONNECTED:
            self._publish()  # a refresh: new lifetimes

    def _persist(self, tokens: TokenSet | None) -> None:
        if self.keychain is None:
            return
        value = None if tokens is None else json.dumps(tokens.to_dict())
        self._last_write = asyncio.ensure_future(self._write(self._last_write, value))

    async def _write(self, previous: asyncio.Task[bool] | None, value: str | None) -> bool:
        if previous is not None:
            await asyncio.wait({previous})
        assert self.keychain is not None
        try:
            if value is None:
                await self.keychain.adelete(self._token_entry)
            else:
                await self.keychain.aset(self._token_entry, value)
        except KeychainError as exc:
            log.warning("keychain write failed: %s", exc)
            if value is None:
                self._activity(ActivityKind.WARNING, "The saved sign-in could not be removed "
                               f"from the system keychain: {exc}")
            elif not self._keychain_warned:  # once: a refresh every 30 minutes would repeat it
                self._keychain_warned = True
                self._activity(ActivityKind.WARNING, "The sign-in could not be saved in the "
                               f"system keychain: {exc} You stay signed in until Pennant "
                               "closes.")
            return False
        return True

    async def _flush_writes(self) -> bool:
        """Wait for the queued keychain writes; whether the last one succeeded."""
        task = self._last_write
        if task is None:
            return True
        await asyncio.wait({task})
        return not task.cancelled() and task.result()

    # ---------------------------------------------------------------- events
    def _set_state(self, state: SessionState, message: str) -> None:
        self.state = state
        self.message = message
        self._publish()

    def _publish(self) -> None:
        tokens = self.tokens
        self.bus.publish(SessionChanged(
            state=self.state, message=self.message,
            identity_id=tokens.identity_id if tokens else None,
            access_expires_at=tokens.access_expires_at if tokens else None,
            refresh_expires_at=tokens.refresh_expires_at if tokens else None,
        ))

    def _activity(self, kind: ActivityKind, text: str) -> None:
        self.bus.publish(Activity(at=self._now(), kind=kind, text=text))


def _decode_tokens(stored: str) -> TokenSet | None:
    try:
        tokens = TokenSet.from_dict(json.loads(stored))
    except (ValueError, TypeError):
        log.warning("the saved tokens are unreadable")
        return None
    if tokens.access_expires_at.tzinfo is None or tokens.refresh_expires_at.tzinfo is None:
        return None
    return tokens
