"""Server-side credentials: authorization codes, OAuth tokens, Trading API 2FA tokens, nonces.

Lifetimes follow API.md §2.3–2.4 and §3.4 (codes 60 s single use; access 1,800 s; refresh
1,296,000 s with rotation: a refresh issues a new pair and spends the old refresh token). The
old access token stays valid until it expires (not documented; the gentler choice for requests
already in flight). A reused code or refresh token is refused but does not revoke the tokens
it produced (not documented either). Every value is random from ``secrets``, shaped like
Webull's examples: standard base64 that may end in ``=``.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from .clock import Clock


def opaque(nbytes: int = 26) -> str:
    """Random standard base64 (26 bytes → 36 characters ending in ``=``)."""
    return base64.b64encode(secrets.token_bytes(nbytes)).decode("ascii")


def _find(store: dict[str, object], candidate: str) -> str | None:
    """Constant-time lookup of a secret among the keys."""
    probe = candidate.encode()
    found = None
    for key in store:
        if hmac.compare_digest(key.encode(), probe):
            found = key
    return found


@dataclass
class AuthCode:
    code: str
    client_id: str
    identity_id: str
    scope: str
    expires_at: datetime
    used: bool = False


@dataclass
class Grant:
    """One access/refresh pair."""

    access_token: str
    refresh_token: str
    client_id: str
    identity_id: str
    scope: str
    created_at: datetime
    access_expires_at: datetime
    refresh_expires_at: datetime
    refresh_spent: bool = False
    revoked: bool = False


class OAuthStore:
    def __init__(self, clock: Clock, *, code_ttl_s: int, access_ttl_s: int,
                 refresh_ttl_s: int) -> None:
        self.clock = clock
        self.code_ttl = timedelta(seconds=code_ttl_s)
        self.access_ttl = timedelta(seconds=access_ttl_s)
        self.refresh_ttl = timedelta(seconds=refresh_ttl_s)
        self._lock = threading.RLock()
        self._codes: dict[str, AuthCode] = {}
        self._by_access: dict[str, Grant] = {}
        self._by_refresh: dict[str, Grant] = {}

    def issue_code(self, client_id: str, identity_id: str, scope: str) -> str:
        with self._lock:
            self._prune()
            code = opaque(24)
            self._codes[code] = AuthCode(code, client_id, identity_id, scope,
                                         self.clock.now() + self.code_ttl)
            return code

    def redeem_code(self, code: str, client_id: str) -> AuthCode | None:
        """The code's record if it is known, unused, unexpired and this client's; spends it."""
        with self._lock:
            key = _find(self._codes, code)  # type: ignore[arg-type]
            if key is None:
                return None
            record = self._codes[key]
            if (record.used or record.client_id != client_id
                    or self.clock.now() >= record.expires_at):
                return None
            record.used = True
            return record

    def issue_tokens(self, client_id: str, identity_id: str, scope: str) -> Grant:
        with self._lock:
            now = self.clock.now()
            grant = Grant(opaque(), opaque(), client_id, identity_id, scope, now,
                          now + self.access_ttl, now + self.refresh_ttl)
            self._by_access[grant.access_token] = grant
            self._by_refresh[grant.refresh_token] = grant
            return grant

    def refresh(self, refresh_token: str, client_id: str) -> Grant | None:
        """Rotate: a new pair for a live, unspent refresh token of this client."""
        with self._lock:
            key = _find(self._by_refresh, refresh_token)  # type: ignore[arg-type]
            if key is None:
                return None
            old = self._by_refresh[key]
            if (old.refresh_spent or old.revoked or old.client_id != client_id
                    or self.clock.now() >= old.refresh_expires_at):
                return None
            old.refresh_spent = True
            return self.issue_tokens(old.client_id, old.identity_id, old.scope)

    def access(self, access_token: str) -> tuple[Grant | None, str]:
        """The grant of a usable access token, or None and why not."""
        with self._lock:
            key = _find(self._by_access, access_token)  # type: ignore[arg-type]
            if key is None:
                return None, "the access token is not recognised"
            grant = self._by_access[key]
            if grant.revoked:
                return None, "the access token has been revoked"
            if self.clock.now() >= grant.access_expires_at:
                return None, "the access token has expired"
            return grant, ""

    def revoke(self, identity_id: str, client_id: str | None = None) -> int:
        """Revoke every token of a user (optionally only one client's). Returns how many pairs."""
        with self._lock:
            count = 0
            for grant in self._by_access.values():
                if grant.identity_id == identity_id and not grant.revoked and (
                        client_id is None or grant.client_id == client_id):
                    grant.revoked = True
                    count += 1
            return count

    def _prune(self) -> None:
        now = self.clock.now()
        for code in [c for c, r in self._codes.items() if r.expires_at + self.code_ttl < now]:
            del self._codes[code]
        dead = [g for g in self._by_refresh.values() if g.refresh_expires_at < now]
        for grant in dead:
            self._by_refresh.pop(grant.refresh_token, None)
            self._by_access.pop(grant.access_token, None)


# ------------------------------------------------------------------------------ Trading API 2FA


@dataclass
class TradingToken:
    token: str
    app_key: str
    created_at: datetime
    expires_at: datetime
    status: str  # PENDING, NORMAL, INVALID, EXPIRED


class TradingTokenStore:
    """2FA access tokens of the plain Trading API (API.md §3.4).

    A token is valid for ``ttl`` after its last use. With ``auto_confirm`` (the sandbox
    behaviour) it is NORMAL at once; otherwise PENDING until ``confirm()`` (the SMS step) and
    EXPIRED if not confirmed within ``pending_ttl``.
    """

    def __init__(self, clock: Clock, *, ttl_s: int, pending_ttl_s: int,
                 auto_confirm: bool) -> None:
        self.clock = clock
        self.ttl = timedelta(seconds=ttl_s)
        self.pending_ttl = timedelta(seconds=pending_ttl_s)
        self.auto_confirm = auto_confirm
        self._lock = threading.RLock()
        self._tokens: dict[str, TradingToken] = {}

    def create(self, app_key: str, existing: str | None = None) -> TradingToken:
        with self._lock:
            if existing:
                current = self.check(app_key, existing)
                if current.status in ("NORMAL", "PENDING"):
                    return current
            now = self.clock.now()
            status = "NORMAL" if self.auto_confirm else "PENDING"
            expires = now + (self.ttl if self.auto_confirm else self.pending_ttl)
            token = TradingToken(opaque(24), app_key, now, expires, status)
            self._tokens[token.token] = token
            return token

    def check(self, app_key: str, token: str) -> TradingToken:
        with self._lock:
            key = _find(self._tokens, token)  # type: ignore[arg-type]
            record = self._tokens.get(key) if key else None
            now = self.clock.now()
            if record is None or record.app_key != app_key:
                return TradingToken(token, app_key, now, now, "INVALID")
            if record.status in ("NORMAL", "PENDING") and now >= record.expires_at:
                record.status = "EXPIRED" if record.status == "PENDING" else "INVALID"
            return record

    def confirm(self, token: str) -> None:
        """The user approved the token in the Webull app (test hook)."""
        with self._lock:
            record = self._tokens[token]
            if record.status == "PENDING":
                record.status = "NORMAL"
                record.expires_at = self.clock.now() + self.ttl

    def use(self, app_key: str, token: str) -> TradingToken | None:
        """The token if it authorises a call now; each use renews the validity."""
        with self._lock:
            record = self.check(app_key, token)
            if record.status != "NORMAL":
                return None
            record.expires_at = self.clock.now() + self.ttl
            return record

    def revoke_app(self, app_key: str) -> int:
        with self._lock:
            count = 0
            for record in self._tokens.values():
                if record.app_key == app_key and record.status in ("NORMAL", "PENDING"):
                    record.status = "INVALID"
                    count += 1
            return count


class NonceCache:
    """Nonces seen within the timestamp window, per app key (replay protection)."""

    def __init__(self, clock: Clock, window_s: int) -> None:
        self.clock = clock
        self.window = timedelta(seconds=window_s)
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], datetime] = {}

    def add(self, app_key: str, nonce: str, timestamp: datetime) -> bool:
        """Record a nonce; False if it was already used."""
        with self._lock:
            now = self.clock.now()
            if len(self._seen) > 10_000:
                self._seen = {k: t for k, t in self._seen.items() if t > now}
            key = (app_key, nonce)
            forget_at = self._seen.get(key)
            if forget_at is not None and forget_at > now:
                return False
            self._seen[key] = max(now, timestamp) + self.window
            return True
