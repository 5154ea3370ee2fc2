"""Everything one simulator holds, built deterministically from the config's seed."""

from __future__ import annotations

from dataclasses import dataclass, field

from .accounts import Account, User, build_users, price_options_at_start
from .auth import Authenticator
from .calendar import et_date
from .clock import Clock, SystemClock
from .config import SimConfig
from .faults import Faults
from .instruments import catalog_for
from .market import Market
from .order_seed import seed_orders
from .orders import OrderBook
from .ratelimit import RateLimiter
from .seed import PartnerApp, TradingApp, partner_app
from .tokens import NonceCache, OAuthStore, TradingTokenStore


class Registry:
    """Partner apps (Connect), Trading API app keys, users and their accounts."""

    def __init__(self, partners: list[PartnerApp], users: list[User]) -> None:
        self.partners = partners
        self.users = users
        self._by_client = {p.client_id: p for p in partners}
        self._by_username = {u.username: u for u in users}
        self._by_identity = {u.identity_id: u for u in users}
        self._trading = {u.trading_app.app_key: u.trading_app for u in users}
        self._secrets = {p.app_key: p.app_secret for p in partners}
        self._secrets.update({k: a.app_secret for k, a in self._trading.items()})
        self._accounts = {a.account_id: a for u in users for a in u.accounts}

    def add_partner(self, app: PartnerApp) -> None:
        """Register another Connect partner app (e.g. the examples' CLINETTEST)."""
        self.partners.append(app)
        self._by_client[app.client_id] = app
        self._secrets[app.app_key] = app.app_secret

    def add_trading_app(self, app: TradingApp) -> None:
        """Register another Trading API app key for an existing user."""
        if app.owner not in self._by_identity:
            raise KeyError(f"no user with identity {app.owner!r}")
        self._trading[app.app_key] = app
        self._secrets[app.app_key] = app.app_secret

    def app_secret(self, app_key: str) -> str | None:
        return self._secrets.get(app_key)

    def partner_by_client_id(self, client_id: str) -> PartnerApp | None:
        return self._by_client.get(client_id)

    def partner_by_app_key(self, app_key: str) -> PartnerApp | None:
        return next((p for p in self.partners if p.app_key == app_key), None)

    def trading_app(self, app_key: str) -> TradingApp | None:
        return self._trading.get(app_key)

    def user(self, username: str) -> User | None:
        return self._by_username.get(username)

    def user_by_identity(self, identity_id: str) -> User | None:
        return self._by_identity.get(identity_id)

    def account(self, account_id: str) -> Account | None:
        return self._accounts.get(account_id)


@dataclass(frozen=True)
class DemoUser:
    """What a tester needs to sign in as a demo user or call the Trading API as them."""

    username: str
    password: str = field(repr=False)
    display_name: str = ""
    identity_id: str = ""
    app_key: str = ""
    app_secret: str = field(default="", repr=False)


class SimState:
    def __init__(self, config: SimConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        seed = config.seed
        start = self.clock.now()
        self.catalog = catalog_for(seed, et_date(start))
        self.market = Market(self.catalog, self.clock, seed, always_open=config.market_always_open,
                             volatility_scale=config.volatility_scale)
        users = build_users(seed, self.catalog)
        price_options_at_start(users, self.market)
        partners = [
            partner_app(seed, "Pennant", config.scope, (config.redirect_uri,)
                        + ((config.loopback_redirect_uri,) if config.loopback_redirect_uri
                           else ())),
            partner_app(seed, "Example Partner", config.scope,
                        ("https://partner.example.com/webull/callback",), topic="partner-2"),
        ]
        self.registry = Registry(partners, users)
        self.orders = OrderBook(self.market, {a.account_id: a for u in users for a in u.accounts},
                                seed)
        seed_orders(self.orders, users)
        self.oauth = OAuthStore(self.clock, code_ttl_s=config.code_ttl_s,
                                access_ttl_s=config.access_token_ttl_s,
                                refresh_ttl_s=config.refresh_token_ttl_s)
        self.trading_tokens = TradingTokenStore(
            self.clock, ttl_s=config.trading_token_ttl_s,
            pending_ttl_s=config.trading_token_pending_ttl_s,
            auto_confirm=config.trading_token_auto_confirm)
        self.nonces = NonceCache(self.clock, config.timestamp_skew_s)
        self.limiter = RateLimiter(self.clock, config.rate_limits)
        self.faults = Faults()
        self.auth = Authenticator(self)

    @property
    def partner(self) -> PartnerApp:
        """The demo partner app (Pennant)."""
        return self.registry.partners[0]

    def demo_users(self) -> list[DemoUser]:
        return [DemoUser(u.username, u.password, u.display_name, u.identity_id,
                         u.trading_app.app_key, u.trading_app.app_secret)
                for u in self.registry.users]

    def revoke_user_tokens(self, user: str, client_id: str | None = None) -> int:
        """Admin hook (API.md §2.5): revoke a user's OAuth tokens (by username or identity id)."""
        found = self.registry.user(user) or self.registry.user_by_identity(user)
        if found is None:
            raise KeyError(f"no demo user {user!r}")
        count = self.oauth.revoke(found.identity_id, client_id)
        if client_id is None:
            count += self.trading_tokens.revoke_app(found.trading_app.app_key)
        return count
