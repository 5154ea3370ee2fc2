"""Simulator settings. Every default is the documented Webull figure unless said otherwise."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

#: Server-side limits per app key (API.md §10): (requests, window in seconds). Instruments use
#: the 60/60 s of each reference page (contradiction C12); the option chain has no published
#: figure and gets the same. The OAuth endpoints have none and are not limited.
WEBULL_RATE_LIMITS: Mapping[str, tuple[int, float]] = MappingProxyType(
    {
        "accounts": (10, 30.0),
        "balances": (2, 2.0),
        "positions": (2, 2.0),
        "stock_instruments": (60, 60.0),
        "crypto_instruments": (60, 60.0),
        "futures_contracts": (60, 60.0),
        "option_contracts": (60, 60.0),
        "event_markets": (60, 60.0),
        "trading_tokens": (10, 30.0),
        "order_preview": (150, 10.0),
        "order_write": (600, 60.0),
        "open_orders": (2, 2.0),
        "order_history": (2, 2.0),
        "order_detail": (2, 2.0),
    }
)

DEFAULT_REDIRECT_URI = "https://pennant.invalid/oauth/callback"
DEFAULT_SCOPE = "user:trade:wr"
#: a registered loopback redirect for native apps (RFC 8252 §7.3): any port is accepted, and
#: any path below this one (the app adds a random segment), on http://127.0.0.1 only
DEFAULT_LOOPBACK_REDIRECT_URI = "http://127.0.0.1/oauth/callback"


@dataclass
class SimConfig:
    #: seeds every piece of data: credentials, users, accounts, instruments, the market
    seed: int = 7
    host: str = "127.0.0.1"
    #: 0 = an ephemeral port chosen by the OS
    port: int = 0
    #: the authorization request redirects at once with a code for the first demo user
    auto_approve: bool = False
    #: Connect calls with a Bearer token must also be signed (otherwise: verified when present)
    strict_signature: bool = False
    #: every market is open around the clock; off = the real sessions of calendar.py
    market_always_open: bool = True
    #: the partner app's registered redirect URI. ``.invalid`` never resolves (RFC 2606), so a
    #: login view that fails to intercept the callback cannot leak the code to the network.
    redirect_uri: str = DEFAULT_REDIRECT_URI
    #: registered loopback redirect (None: the partner app registered none)
    loopback_redirect_uri: str | None = DEFAULT_LOOPBACK_REDIRECT_URI
    scope: str = DEFAULT_SCOPE

    code_ttl_s: int = 60
    access_token_ttl_s: int = 1800
    refresh_token_ttl_s: int = 1_296_000
    #: Trading API 2FA tokens: valid 15 days, renewed by use; sandbox tokens are NORMAL at once
    trading_token_ttl_s: int = 1_296_000
    trading_token_auto_confirm: bool = True
    trading_token_pending_ttl_s: int = 300
    #: x-timestamp must be within ± this many seconds of the server clock
    timestamp_skew_s: int = 300
    #: how long a started browser sign-in stays usable
    login_flow_ttl_s: int = 600

    #: group → (requests, window seconds); ``None`` disables server-side rate limiting
    rate_limits: Mapping[str, tuple[int, float]] | None = field(
        default_factory=lambda: dict(WEBULL_RATE_LIMITS)
    )
    #: items per page of the cursor-paginated lists (Webull's keys say 500; smaller here so that
    #: pagination is exercised by real data)
    page_size: int = 100
    #: multiplies every instrument's volatility (0 freezes prices)
    volatility_scale: float = 1.0
    #: write large balance figures the Java way (``2.32435219E8``), as Webull sometimes does
    java_number_style: bool = False
    #: log one line per request (method, path, status; never the query) at INFO
    access_log: bool = False
    #: serve the admin endpoint (admin.py) under ``/__sim/admin/`` to loopback clients; off, its
    #: paths answer 404 like any unknown path
    admin_enabled: bool = False

    def __post_init__(self) -> None:
        if self.page_size < 1:
            raise ValueError("page_size must be at least 1")
        for name in ("code_ttl_s", "access_token_ttl_s", "refresh_token_ttl_s",
                     "trading_token_ttl_s", "timestamp_skew_s", "login_flow_ttl_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
