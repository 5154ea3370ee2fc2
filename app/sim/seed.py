"""Deterministic randomness: every generated value is a function of the seed and a topic.

``random.Random`` seeded with a string is stable across runs and Python versions (it hashes the
string with SHA-512), so the same seed always gives the same credentials, users, accounts and
instruments. Secrets that protect a live session (authorization codes, tokens, CSRF tokens) are
not derived from the seed: they come from ``secrets``.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from urllib.parse import urlsplit

UPPER_ALNUM = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"


def rng(seed: int, topic: str) -> random.Random:
    return random.Random(f"pennant-sim:{seed}:{topic}")


def text(r: random.Random, alphabet: str, length: int) -> str:
    return "".join(r.choice(alphabet) for _ in range(length))


class IdAllocator:
    """Unique ids, drawn from one seeded stream so that they never collide."""

    def __init__(self, seed: int, topic: str) -> None:
        self._rng = rng(seed, topic)
        self._used: set[str] = set()

    def _unique(self, make: object) -> str:
        while True:
            value = make()  # type: ignore[operator]
            if value not in self._used:
                self._used.add(value)
                return str(value)

    def numeric(self, prefix: str, digits: int) -> str:
        """e.g. ``numeric("91", 9)`` → ``"913256135"``."""
        rest = digits - len(prefix)
        return self._unique(lambda: prefix + "".join(self._rng.choice(string.digits)
                                                     for _ in range(rest)))

    def token(self, length: int = 26, alphabet: str = UPPER_ALNUM) -> str:
        """Opaque ids like account and position ids (``LOJOQITOD49R6G9BPQM489CISA``)."""
        return self._unique(lambda: text(self._rng, alphabet, length))


@dataclass(frozen=True)
class PartnerApp:
    """A Connect partner registration (API.md §2.1): the five issued values + redirect URIs."""

    name: str
    client_id: str
    client_secret: str = field(repr=False)
    app_key: str = ""
    app_secret: str = field(default="", repr=False)
    scope: str = ""
    redirect_uris: tuple[str, ...] = ()

    def allows_redirect(self, uri: str) -> bool:
        """Exact match with a registered URI; a registered ``http://127.0.0.1/path`` also allows
        any port and any path below ``path`` (RFC 8252 §7.3, loopback redirects of native apps)."""
        if uri in self.redirect_uris:
            return True
        asked = urlsplit(uri)
        if asked.scheme != "http" or asked.hostname != "127.0.0.1" or asked.query or asked.fragment:
            return False
        try:
            asked.port  # noqa: B018 - raises on a malformed port
        except ValueError:
            return False
        for registered in self.redirect_uris:
            reg = urlsplit(registered)
            if reg.scheme == "http" and reg.hostname == "127.0.0.1" and reg.port is None:
                base = reg.path.rstrip("/")
                if asked.path == base or asked.path.startswith(base + "/"):
                    return True
        return False


@dataclass(frozen=True)
class TradingApp:
    """A self-directed Trading API app key, owned by one user (API.md §3, §11)."""

    app_key: str
    app_secret: str = field(repr=False)
    owner: str = ""  # identity_id


def partner_app(seed: int, name: str, scope: str, redirect_uris: tuple[str, ...],
                topic: str = "partner") -> PartnerApp:
    r = rng(seed, topic)
    return PartnerApp(
        name=name,
        client_id=text(r, UPPER_ALNUM, 20),
        client_secret=text(r, ALNUM, 40),
        app_key=text(r, HEX, 32),
        app_secret=text(r, HEX, 32),
        scope=scope,
        redirect_uris=redirect_uris,
    )


def trading_app(seed: int, identity_id: str) -> TradingApp:
    r = rng(seed, f"trading-app:{identity_id}")
    return TradingApp(app_key=text(r, HEX, 32), app_secret=text(r, HEX, 32), owner=identity_id)
