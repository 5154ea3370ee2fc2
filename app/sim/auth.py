"""Authentication of API calls: request signatures (API.md §3.2–3.3), Connect Bearer tokens
(§2.6) and Trading API 2FA tokens (§3.4), the x-version check and the rate limits.

Signature: both ``HMAC-SHA1`` (MD5 body digest) and ``HMAC-SHA256`` (SHA-256 body digest),
chosen by ``x-signature-algorithm`` (C7); the string to sign uses the Host header exactly as
received, every query parameter with its decoded ("raw") value, and the digest of the exact
body bytes. Form bodies (the token endpoint) are signed as parameters without a digest.
``x-timestamp`` must be within the skew window and a nonce is accepted once per app key within
it. ``x-app-secret`` is never required (C6). Connect calls carry ``Authorization: Bearer``; their
signature is checked when present and required in strict mode (C5). Trading API calls carry
``x-access-token`` and are always signed.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from starlette.requests import Request

from app.webull.signing import body_digest, signature, string_to_sign

from .accounts import User
from .errors import INVALID_TOKEN, invalid_parameter, not_found, unauthorized

if TYPE_CHECKING:
    from .state import SimState

ALGORITHMS = ("HMAC-SHA1", "HMAC-SHA256")
SIGNED_HEADERS = ("x-app-key", "x-signature-algorithm", "x-signature-version",
                  "x-signature-nonce", "x-timestamp")
FORM_TYPE = "application/x-www-form-urlencoded"
CONNECT_PREFIX = "/oauth-openapi"


@dataclass(frozen=True)
class Caller:
    channel: str  # "connect" (Bearer) or "trading" (x-access-token)
    app_key: str
    user: User
    client_id: str | None = None
    signed: bool = True


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def query_pairs(request: Request) -> list[tuple[str, str]]:
    raw = request.scope.get("query_string", b"").decode("latin-1")
    return parse_qsl(raw, keep_blank_values=True)


def form_pairs(body: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise invalid_parameter("the form body is not valid UTF-8") from None


def _timestamp(text: str) -> datetime | None:
    """``YYYY-MM-DDThh:mm:ssZ`` exactly (the only form Webull signs), as an aware UTC time."""
    if len(text) != 20 or text[10] != "T" or text[19] != "Z" or not text.isascii():
        return None
    try:
        return datetime.fromisoformat(text[:19]).replace(tzinfo=UTC)
    except ValueError:
        return None


class Authenticator:
    def __init__(self, state: SimState) -> None:
        self.state = state

    def verify_signature(self, request: Request, body: bytes) -> str:
        """Check the signature headers; return the app key that signed."""
        h = dict(request.headers.items())  # one pass over the raw headers, then O(1) lookups
        app_key = h.get("x-app-key")
        if not app_key:
            raise unauthorized("x-app-key is missing")
        secret = self.state.registry.app_secret(app_key)
        if secret is None:
            raise unauthorized("the app key is not recognised")
        for name in SIGNED_HEADERS[1:] + ("x-signature",):
            if not h.get(name):
                raise unauthorized(f"{name} is missing")
        algorithm = h["x-signature-algorithm"]
        if algorithm not in ALGORITHMS:
            raise unauthorized(f"unsupported x-signature-algorithm {algorithm!r}")
        if h["x-signature-version"] != "1.0":
            raise unauthorized("unsupported x-signature-version")
        stamp = _timestamp(h["x-timestamp"])
        if stamp is None:
            raise unauthorized("x-timestamp must be YYYY-MM-DDThh:mm:ssZ (UTC)")
        skew = abs((self.state.clock.now() - stamp).total_seconds())
        if skew > self.state.config.timestamp_skew_s:
            raise unauthorized("x-timestamp is outside the allowed time window")
        params = query_pairs(request) + [(n, h[n]) for n in SIGNED_HEADERS]
        params.append(("host", h.get("host", "")))
        digest = None
        if body:
            if media_type(request) == FORM_TYPE:
                params += form_pairs(body)
            else:
                digest = body_digest(body, algorithm)  # type: ignore[arg-type]
        text = string_to_sign(request.scope["path"], params, digest)
        expected = signature(text, secret, algorithm)  # type: ignore[arg-type]
        if not hmac.compare_digest(expected.encode(), h["x-signature"].encode()):
            raise unauthorized("signature mismatch")
        if not self.state.nonces.add(app_key, h["x-signature-nonce"], stamp):
            raise unauthorized("x-signature-nonce was already used")
        return app_key

    async def authenticate(self, request: Request, group: str, *,
                           version: str | None = "v3") -> Caller:
        """Authenticate a trading call, check x-version and count it against the rate limit."""
        body = await request.body()
        path = request.scope["path"]
        prefixed = path.startswith(CONNECT_PREFIX + "/")
        authorization = request.headers.get("authorization")
        if authorization is not None:
            request.state.channel = "connect"
            caller = self._connect(request, body, authorization)
        else:
            if prefixed:  # the Connect path prefix exists only on the Connect gateway
                raise not_found(path)
            request.state.channel = "trading"
            caller = self._trading(request, body)
        if version is not None and request.headers.get("x-version") != version:
            raise invalid_parameter(f"x-version must be {version}")
        self.state.limiter.check(caller.app_key, group)
        return caller

    def _connect(self, request: Request, body: bytes, authorization: str) -> Caller:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("Authorization must be 'Bearer <access token>'", INVALID_TOKEN)
        grant, why = self.state.oauth.access(token.strip())
        if grant is None:
            raise unauthorized(why, INVALID_TOKEN)
        app = self.state.registry.partner_by_client_id(grant.client_id)
        if app is None or grant.scope != app.scope:
            raise unauthorized("Insufficient permission: the token does not carry the app's scope")
        signed = bool(request.headers.get("x-signature"))
        if signed:
            if self.verify_signature(request, body) != app.app_key:
                raise unauthorized("the request is signed by another app than the token's")
        elif self.state.config.strict_signature:
            raise unauthorized("x-signature is missing")
        user = self.state.registry.user_by_identity(grant.identity_id)
        if user is None:
            raise unauthorized("the user no longer exists", INVALID_TOKEN)
        return Caller("connect", app.app_key, user, app.client_id, signed)

    def _trading(self, request: Request, body: bytes) -> Caller:
        app_key = self.verify_signature(request, body)
        app = self.state.registry.trading_app(app_key)
        if app is None:
            raise unauthorized("this app key cannot call the Trading API with x-access-token")
        token = request.headers.get("x-access-token")
        if not token:
            raise unauthorized("x-access-token is missing", INVALID_TOKEN)
        if self.state.trading_tokens.use(app_key, token) is None:
            raise unauthorized("x-access-token is not valid", INVALID_TOKEN)
        user = self.state.registry.user_by_identity(app.owner)
        if user is None:
            raise unauthorized("the user no longer exists", INVALID_TOKEN)
        return Caller("trading", app_key, user)
