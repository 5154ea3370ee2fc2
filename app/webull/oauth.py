"""Connect OAuth 2.0: authorization URL, state, callback, tokens, refresh (API.md §2).

The flow: ``AuthorizationFlow.begin()`` gives the URL to open in the login view and remembers a
fresh ``state``; ``AuthorizationFlow.complete(callback_url)`` checks the callback (redirect URI,
``error``, single-use unexpired ``state``) and returns the authorization code; ``TokenManager``
exchanges it for tokens, hands out access tokens, refreshes ahead of expiry with one refresh in
flight however many callers ask, and forgets spent refresh tokens (Webull rotates both tokens).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from .endpoints import TOKEN_CREATE
from .environments import Environment
from .errors import (
    AuthError,
    AuthorizationDeniedError,
    BusinessRejectionError,
    OAuthFlowError,
    ResponseDecodeError,
    StateError,
    TokenRejectedError,
)
from .models import parse_utc_datetime, parse_whole_number
from .redaction import register_secret
from .signing import SigningKey
from .transport import Transport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectCredentials:
    """The five values Webull issues to a partner app, plus its registered redirect URI."""

    client_id: str
    client_secret: str = field(repr=False)
    app_key: str = ""
    app_secret: str = field(default="", repr=False)
    scope: str = ""
    redirect_uri: str = ""

    def __post_init__(self) -> None:
        missing = [n for n in ("client_id", "client_secret", "app_key", "app_secret", "scope",
                               "redirect_uri") if not getattr(self, n)]
        if missing:
            raise ValueError(f"missing Connect credentials: {', '.join(missing)}")
        url = urlsplit(self.redirect_uri)
        if url.scheme not in ("https", "http") or not url.hostname or url.fragment:
            raise ValueError("redirect_uri must be an absolute http(s) URL without a fragment")
        register_secret(self.client_secret, self.app_secret, pinned=True)

    @property
    def signing_key(self) -> SigningKey:
        return SigningKey(self.app_key, self.app_secret)


# ------------------------------------------------------------------------------ state


class StateStore:
    """Issues OAuth ``state`` values: CSPRNG, single use, expiring, compared in constant time."""

    def __init__(self, ttl_s: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._pending: dict[str, float] = {}  # state -> expiry
        self._spent: dict[str, float] = {}  # state -> when it may be forgotten

    def issue(self) -> str:
        self._prune()
        state = secrets.token_urlsafe(32)
        register_secret(state)
        self._pending[state] = self._clock() + self.ttl_s
        return state

    def consume(self, state: str | None) -> None:
        """Accept ``state`` once. Raise StateError naming why it was refused."""
        if not state:
            raise StateError("the sign-in answer carried no state; it was not started here",
                             reason="missing")
        now = self._clock()
        match = _find(self._pending, state)
        if match is None:
            if _find(self._spent, state) is not None:
                raise StateError("this sign-in answer was already used", reason="replayed")
            raise StateError("the sign-in answer does not belong to a sign-in started here",
                             reason="mismatch")
        expiry = self._pending.pop(match)
        self._spent[match] = now + self.ttl_s
        if now > expiry:
            raise StateError("the sign-in took too long and expired; start again", reason="expired")
        self._prune()

    def _prune(self) -> None:
        now = self._clock()
        for store, grace in ((self._pending, self.ttl_s), (self._spent, 0.0)):
            for key in [k for k, t in store.items() if t + grace < now]:
                del store[key]


def _find(store: Mapping[str, float], candidate: str) -> str | None:
    """Constant-time membership: compare against every entry, never short-circuit."""
    found = None
    probe = candidate.encode()
    for key in store:
        if hmac.compare_digest(key.encode(), probe):
            found = key
    return found


# ------------------------------------------------------------------------------ browser leg


def authorization_url(environment: Environment, creds: ConnectCredentials, state: str) -> str:
    query = urlencode(
        [
            ("response_type", "code"),
            ("client_id", creds.client_id),
            ("scope", creds.scope),
            ("state", state),
            ("redirect_uri", creds.redirect_uri),
        ]
    )
    return f"{environment.authorize_url}?{query}"


def is_redirect_target(url: str, redirect_uri: str) -> bool:
    """Whether a navigation goes to the registered redirect URI (scheme, host, port, path)."""
    a, b = urlsplit(url), urlsplit(redirect_uri)
    return (a.scheme.lower(), (a.hostname or "").lower(), a.port, a.path or "/") == (
        b.scheme.lower(), (b.hostname or "").lower(), b.port, b.path or "/",
    )


@dataclass(frozen=True)
class CallbackParams:
    code: str | None = field(default=None, repr=False)
    state: str | None = field(default=None, repr=False)
    error: str | None = None
    error_description: str | None = None


def parse_callback(url: str) -> CallbackParams:
    """Read code, state, error and error_description from a callback URL (URL-decoded)."""
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    values: dict[str, str | None] = {}
    for name in ("code", "state", "error", "error_description"):
        got = query.get(name, [])
        if len(got) > 1:
            raise OAuthFlowError(f"the sign-in answer repeats the parameter {name!r}")
        values[name] = got[0] if got and got[0] != "" else None
    register_secret(values["code"])
    return CallbackParams(**values)


class AuthorizationFlow:
    """One environment's browser sign-in: begin() → open URL; complete(callback) → code."""

    def __init__(
        self, environment: Environment, creds: ConnectCredentials, states: StateStore | None = None
    ) -> None:
        self.environment = environment
        self.creds = creds
        self.states = states or StateStore()

    def begin(self) -> str:
        return authorization_url(self.environment, self.creds, self.states.issue())

    def complete(self, callback_url: str) -> str:
        if not is_redirect_target(callback_url, self.creds.redirect_uri):
            raise OAuthFlowError("the sign-in answer did not come to the registered redirect URI")
        params = parse_callback(callback_url)
        self.states.consume(params.state)
        if params.error:
            if params.error == "access_denied":
                text = "access was denied: Webull did not grant Pennant access to the account"
            else:
                text = f"Webull refused the sign-in ({params.error})"
            if params.error_description:
                text += f": {params.error_description}"
            raise AuthorizationDeniedError(
                text, error=params.error, description=params.error_description
            )
        if not params.code:
            raise OAuthFlowError("the sign-in answer carried no authorization code")
        return params.code


# ------------------------------------------------------------------------------ tokens


_TOKEN_FIELDS = ("access_token", "token_type", "expires_in", "rt_expires_in", "refresh_token",
                 "created_at", "identity_id")


#: longest lifetime we accept from the token endpoint (Webull's refresh tokens live 15 days)
_MAX_LIFETIME_S = 366 * 24 * 3600


@dataclass(frozen=True)
class TokenSet:
    """OAuth tokens with their absolute expiry (computed from the relative lifetimes)."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    token_type: str
    identity_id: str
    created_at: datetime | None
    access_expires_at: datetime
    refresh_expires_at: datetime

    def __post_init__(self) -> None:
        register_secret(self.access_token, self.refresh_token)

    @classmethod
    def from_response(cls, data: Any, obtained_at: datetime) -> TokenSet:
        """Decode a token response. ``obtained_at`` is when the request was sent (conservative)."""
        if not isinstance(data, dict):
            raise ResponseDecodeError("token response is not a JSON object", field="$")
        for name in _TOKEN_FIELDS:
            value = data.get(name)
            if not isinstance(value, str) or not value:
                problem = "missing" if value is None else "not a non-empty string"
                raise ResponseDecodeError(f"token response field {name} is {problem}", field=name)
        if data["token_type"].lower() != "bearer":
            raise ResponseDecodeError("token response field token_type is not Bearer",
                                      field="token_type")
        lifetimes = {}
        for name in ("expires_in", "rt_expires_in"):
            try:
                seconds = parse_whole_number(data[name])
            except ValueError:
                seconds = 0
            if not 0 < seconds <= _MAX_LIFETIME_S:
                raise ResponseDecodeError(f"token response field {name} is not a plausible "
                                          "number of seconds", field=name)
            lifetimes[name] = seconds
        try:
            created = parse_utc_datetime(data["created_at"])
        except ValueError:
            raise ResponseDecodeError("token response field created_at is not a timestamp",
                                      field="created_at") from None
        return cls(
            access_token=data["access_token"],
            refresh_token=data["refresh_token"],
            token_type="Bearer",
            identity_id=data["identity_id"],
            created_at=created,
            access_expires_at=obtained_at + timedelta(seconds=lifetimes["expires_in"]),
            refresh_expires_at=obtained_at + timedelta(seconds=lifetimes["rt_expires_in"]),
        )

    def access_valid(self, now: datetime, margin: timedelta = timedelta(0)) -> bool:
        return now + margin < self.access_expires_at

    def refresh_valid(self, now: datetime) -> bool:
        return now < self.refresh_expires_at

    def to_dict(self) -> dict[str, str]:
        """Plain strings for the keychain."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": self.token_type,
            "identity_id": self.identity_id,
            "created_at": self.created_at.isoformat() if self.created_at else "",
            "access_expires_at": self.access_expires_at.isoformat(),
            "refresh_expires_at": self.refresh_expires_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> TokenSet:
        try:
            return cls(
                access_token=data["access_token"],
                refresh_token=data["refresh_token"],
                token_type=data["token_type"],
                identity_id=data["identity_id"],
                created_at=datetime.fromisoformat(data["created_at"]) if data.get("created_at")
                else None,
                access_expires_at=datetime.fromisoformat(data["access_expires_at"]),
                refresh_expires_at=datetime.fromisoformat(data["refresh_expires_at"]),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"stored tokens are unreadable ({type(exc).__name__})") from None


def _utcnow() -> datetime:
    return datetime.now(UTC)


async def request_tokens(
    transport: Transport, creds: ConnectCredentials, grant: Mapping[str, str],
    now: Callable[[], datetime] = _utcnow,
) -> TokenSet:
    """POST /oauth2/tokens/create (form-encoded, signed, x-version v2); never retried."""
    form = {"client_id": creds.client_id, "client_secret": creds.client_secret, **grant}
    sent_at = now()
    try:
        response = await transport.request(TOKEN_CREATE, form=form)
    except (AuthError, BusinessRejectionError) as exc:
        raise TokenRejectedError(
            f"Webull refused the {grant['grant_type'].replace('_', ' ')} ({exc.message})",
            status=exc.status, error_code=exc.error_code, request_id=exc.request_id,
            endpoint=exc.endpoint,
        ) from None
    try:
        return TokenSet.from_response(response.data, sent_at)
    except ResponseDecodeError as exc:
        raise ResponseDecodeError(exc.message, field=exc.field, status=response.status,
                                  request_id=response.request_id,
                                  endpoint=TOKEN_CREATE.name) from None


class TokenManager:
    """Holds the current tokens, refreshes ahead of expiry, one refresh in flight at a time.

    ``on_change`` is called with the new TokenSet after every exchange or refresh, and with
    None when the tokens are gone (refused refresh, disconnect): the keychain store hooks in here.
    """

    def __init__(
        self,
        transport: Transport,
        creds: ConnectCredentials,
        tokens: TokenSet | None = None,
        *,
        refresh_margin: timedelta = timedelta(minutes=2),
        now: Callable[[], datetime] = _utcnow,
        on_change: Callable[[TokenSet | None], None] | None = None,
    ) -> None:
        self._transport = transport
        self._creds = creds
        self._tokens = tokens
        self._margin = refresh_margin
        self._now = now
        self._on_change = on_change
        self._refreshing: asyncio.Future[TokenSet] | None = None

    def __repr__(self) -> str:
        state = "connected" if self._tokens else "disconnected"
        return f"TokenManager({state})"

    @property
    def tokens(self) -> TokenSet | None:
        return self._tokens

    async def exchange_code(self, code: str) -> TokenSet:
        tokens = await request_tokens(
            self._transport, self._creds, {"grant_type": "authorization_code", "code": code},
            self._now,
        )
        self._set(tokens)
        return tokens

    async def access_token(self) -> str:
        """A valid access token, refreshed first if it expires within the margin."""
        tokens = self._require()
        if not tokens.access_valid(self._now(), self._margin):
            tokens = await self.refresh()
        return tokens.access_token

    async def refresh(self) -> TokenSet:
        """Refresh now. Concurrent callers share the one request in flight."""
        if self._refreshing is None:
            task = asyncio.ensure_future(self._refresh_once())
            self._refreshing = task
            task.add_done_callback(self._refresh_done)
        return await asyncio.shield(self._refreshing)

    def _refresh_done(self, task: asyncio.Future[TokenSet]) -> None:
        if self._refreshing is task:
            self._refreshing = None
        if not task.cancelled():
            task.exception()  # mark retrieved: every awaiter already got it

    async def _refresh_once(self) -> TokenSet:
        tokens = self._require()
        if not tokens.refresh_valid(self._now()):
            self._set(None)
            raise TokenRejectedError("the sign-in has expired (refresh token too old); "
                                     "connect again")
        try:
            fresh = await request_tokens(
                self._transport, self._creds,
                {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}, self._now,
            )
        except TokenRejectedError:
            # spent, revoked or expired refresh token: nothing left to refresh with
            self._set(None)
            raise
        if self._tokens is tokens:  # not disconnected meanwhile
            self._set(fresh)
        return fresh

    def disconnect(self) -> None:
        """Forget the tokens (the caller also wipes them from the keychain via on_change)."""
        self._set(None)

    def _require(self) -> TokenSet:
        if self._tokens is None:
            raise AuthError("not connected to Webull: sign in first")
        return self._tokens

    def _set(self, tokens: TokenSet | None) -> None:
        self._tokens = tokens
        if self._on_change is not None:
            self._on_change(tokens)
