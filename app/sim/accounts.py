"""Demo users, their accounts and positions, and balances valued at the market's prices.

Asset classes live in separate accounts (API.md §6.1): stocks, ETFs and options in the
individual and IRA accounts, futures in the Futures account, crypto in the Crypto account,
event contracts in the Events Cash account. Balances are derived from positions at the same
instant: market value = Σ quantity × last price × multiplier, net liquidation value = cash +
market value (futures: cash + unrealized P&L, since a futures position holds no notional),
margin figures from the instruments' requirements, in the shape of examples.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .instruments import Catalog, OptionContract, Stock
from .market import Market
from .seed import UPPER_ALNUM, IdAllocator, TradingApp, rng, text, trading_app
from .wire import fixed, money, plain, quantize

ZERO = Decimal(0)

#: account kind → (account_type, account_class, account_label, account-number prefix).
#: IRAs carry the documented class INDIVIDUAL_CASH (no IRA class value is documented) and say
#: what they are in account_label (API.md §6.1).
ACCOUNT_KINDS: dict[str, tuple[str, str, str, str]] = {
    "margin": ("MARGIN", "INDIVIDUAL_MARGIN", "Individual Margin", "5MV"),
    "cash": ("CASH", "INDIVIDUAL_CASH", "Individual Cash", "5MC"),
    "roth_ira": ("CASH", "INDIVIDUAL_CASH", "Roth IRA", "5MR"),
    "traditional_ira": ("CASH", "INDIVIDUAL_CASH", "Traditional IRA", "5MT"),
    "futures": ("MARGIN", "FUTURES", "Futures", "5MF"),
    "crypto": ("CASH", "CRYPTO", "Crypto", "CF"),
    "events": ("CASH", "EVENTS_CASH", "Events Cash", "5ME"),
}

# Holdings: (kind, symbol, quantity, detail). Options: detail = (type, strike offsets…);
# events: detail = outcome; futures: symbol = product code (front contract).
Holding = tuple[str, str, str, Any]

USERS: tuple[tuple[str, str, str, tuple[tuple[str, float, tuple[Holding, ...]], ...]], ...] = (
    ("demo", "demo1234", "Alex Morgan", (
        ("margin", 98_000, (
            ("stock", "AAPL", "100", None), ("stock", "MSFT", "40", None),
            ("stock", "NVDA", "60", None), ("stock", "SPY", "25", None),
            ("stock", "AMZN", "12.5", None),
            ("vertical", "TSLA", "2", ("CALL", 1, 3)),
            ("single", "SPY", "1", ("PUT", -3)),
        )),
        ("futures", 90_000, (("futures", "ES", "1", None), ("futures", "GC", "1", None))),
        ("crypto", 8_000, (
            ("crypto", "BTCUSD", "0.25", None), ("crypto", "ETHUSD", "2.5", None),
            ("crypto", "SOLUSD", "30", None),
        )),
        ("events", 500, (
            ("event", "KXRATECUTCOUNT", "40", ("T3", "yes")),
            ("event", "KXFEDDECISION", "25", ("H0", "no")),
        )),
    )),
    ("alice", "alice1234", "Alice Chen", (
        ("cash", 12_500, (
            ("stock", "KO", "50", None), ("stock", "JNJ", "20", None),
            ("stock", "QQQ", "10", None), ("stock", "PLTR", "3.75", None),
            ("single", "AAPL", "1", ("CALL", 2)),
        )),
        ("roth_ira", 4_200, (
            ("stock", "VTI", "80", None), ("stock", "VOO", "15", None),
            ("stock", "BND", "60", None), ("stock", "SCHD", "150", None),
        )),
    )),
    ("bob", "bob12345", "Bob Rivera", (
        ("margin", 21_000, (
            ("stock", "PLTR", "200", None), ("stock", "F", "500", None),
            ("stock", "SOFI", "300", None),
            ("vertical", "QQQ", "1", ("PUT", -1, -3)),
        )),
        ("traditional_ira", 35_000, ()),
    )),
)


@dataclass
class Leg:
    """A leg of an option position: a contract, or (``option`` None) the shares of a covered
    stock or collar, which Webull lists as a leg without contract fields."""

    leg_id: str
    option: OptionContract | None
    ratio: int  # per strategy unit: +1 long, -1 short (a stock leg: shares, e.g. +100)
    stock: Stock | None = None

    @property
    def symbol(self) -> str:
        if self.option is not None:
            return self.option.symbol
        assert self.stock is not None
        return self.stock.symbol

    @property
    def weight(self) -> Decimal:
        """Contracts per unit, shares counted per 100: Σ weight × price is the price per share."""
        return Decimal(self.ratio) if self.option is not None else Decimal(self.ratio) / 100


@dataclass
class Position:
    position_id: str
    instrument_type: str  # EQUITY, OPTION, FUTURES, CRYPTO, EVENT
    symbol: str  # options: the underlying
    quantity: Decimal
    cost_price: Decimal
    option_strategy: str = ""
    legs: list[Leg] = field(default_factory=list)
    event_outcome: str | None = None


@dataclass
class Account:
    account_id: str
    account_number: str
    kind: str
    owner: str  # identity_id
    cash: Decimal
    unsettled_cash: Decimal
    positions: list[Position] = field(default_factory=list)
    #: buying power held by open orders (kept by the order book)
    frozen: Decimal = ZERO

    @property
    def account_type(self) -> str:
        return ACCOUNT_KINDS[self.kind][0]

    def wire(self) -> dict[str, str]:
        account_type, account_class, label, _ = ACCOUNT_KINDS[self.kind]
        return {"account_id": self.account_id, "account_number": self.account_number,
                "account_type": account_type, "account_class": account_class,
                "account_label": label}


@dataclass
class User:
    username: str
    password: str = field(repr=False)
    display_name: str
    identity_id: str
    trading_app: TradingApp
    accounts: list[Account]


def build_users(seed: int, catalog: Catalog) -> list[User]:
    ids = IdAllocator(seed, "account-ids")
    r = rng(seed, "accounts")
    users = []
    for username, password, name, specs in USERS:
        identity = text(rng(seed, f"identity:{username}"), "0123456789abcdef", 32)
        accounts = []
        for kind, cash, holdings in specs:
            prefix = ACCOUNT_KINDS[kind][3]
            number = prefix + (text(r, UPPER_ALNUM, 7) if kind == "crypto"
                               else text(r, "0123456789", 5))
            amount = quantize(Decimal(repr(cash * (1 + r.uniform(-0.05, 0.05)))), Decimal("0.01"))
            unsettled = ZERO if kind in ("futures", "events") else quantize(
                amount * Decimal(repr(r.uniform(0, 0.03))), Decimal("0.01"))
            account = Account(ids.token(), number, kind, identity, amount, unsettled)
            account.positions = [_position(h, catalog, ids, r) for h in holdings]
            accounts.append(account)
        users.append(User(username, password, name, identity, trading_app(seed, identity),
                          accounts))
    return users


def _position(h: Holding, c: Catalog, ids: IdAllocator, r: Any) -> Position:
    kind, symbol, qty, detail = h
    quantity = Decimal(qty)
    gain = Decimal(repr(r.uniform(-0.12, 0.22)))
    if kind == "stock":
        return Position(ids.token(), "EQUITY", symbol, quantity,
                        quantize(c.stocks[symbol].start_price / (1 + gain), Decimal("0.01")))
    if kind == "crypto":
        start = c.crypto[symbol].start_price
        return Position(ids.token(), "CRYPTO", symbol, quantity,
                        quantize(start / (1 + gain), c.crypto[symbol].price_step))
    if kind == "futures":
        contract = min((f for f in c.futures.values() if f.code == symbol),
                       key=lambda f: f.last_trading)
        start = c.futures_start[contract.product.walk or contract.code]
        return Position(ids.token(), "FUTURES", contract.symbol, quantity,
                        quantize(start / (1 + gain / 4), contract.tick))
    if kind == "event":
        suffix, outcome = detail
        market = next(m for m in c.events.values()
                      if m.series.series_symbol == symbol and m.symbol.endswith("-" + suffix))
        p = market.start_price if outcome == "yes" else 1 - market.start_price
        cost = min(max(p / (1 + gain), Decimal("0.01")), Decimal("0.99"))
        return Position(ids.token(), "EVENT", market.symbol, quantity,
                        quantize(cost, Decimal("0.0001")), event_outcome=outcome)
    # options: one SINGLE leg or a two-leg VERTICAL, priced at the start of the simulation
    option_type, *offsets = detail
    legs = [Leg(ids.token(), c.option_at(symbol, 25, offset, option_type), 1 - 2 * (i % 2))
            for i, offset in enumerate(offsets)]
    return Position(ids.token(), "OPTION", symbol, quantity, ZERO,
                    "SINGLE" if len(legs) == 1 else "VERTICAL", legs)


def price_text(value: Decimal) -> str:
    """Prices: two decimals, or more when the price has them (``0.2625``, ``0.00001258``)."""
    return fixed(value, 2) if value == value.quantize(Decimal("0.01")) else plain(value)


class Valuer:
    """Values positions and accounts at one instant, so that every figure agrees."""

    def __init__(self, market: Market, at: datetime | None = None,
                 java_style: bool = False) -> None:
        self.market = market
        self.at = at or market.clock.now()
        self.java = java_style

    def multiplier(self, p: Position) -> Decimal:
        if p.instrument_type == "OPTION":
            return Decimal(100)
        if p.instrument_type == "FUTURES":
            return self.market.catalog.futures[p.symbol].size
        return Decimal(1)

    def _price(self, p: Position, previous: bool) -> Decimal:
        quote = self.market.previous_close if previous else self.market.price
        if p.instrument_type == "OPTION":
            return sum((leg.weight * quote(leg.symbol, self.at) for leg in p.legs), ZERO)
        value = quote(p.symbol, self.at)
        if p.event_outcome == "no":
            value = 1 - value
        return value

    def last(self, p: Position) -> Decimal:
        return self._price(p, False)

    def figures(self, p: Position) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """(last price, market value, unrealized P&L, day P&L); amounts rounded to cents, so
        that every total is the exact sum of what the positions show."""
        last, prev, mult = self._price(p, False), self._price(p, True), self.multiplier(p)
        cost = p.cost_price if p.cost_price or p.instrument_type != "OPTION" else last
        return (last, cents(p.quantity * last * mult), cents(p.quantity * (last - cost) * mult),
                cents(p.quantity * (last - prev) * mult))

    def position(self, p: Position) -> dict[str, Any]:
        last, _, upl, _ = self.figures(p)
        body: dict[str, Any] = {
            "position_id": p.position_id,
            "currency": "USD",
            "quantity": plain(p.quantity),
            "symbol": p.symbol,
            "option_strategy": p.option_strategy,
            "instrument_type": p.instrument_type,
            "last_price": price_text(last),
            "cost_price": price_text(p.cost_price),
            "unrealized_profit_loss": money(upl),
        }
        if p.event_outcome:
            body["event_outcome"] = p.event_outcome
        if p.legs:
            body["legs"] = [{
                "leg_id": leg.leg_id, "symbol": leg.symbol,
                "quantity": plain(leg.ratio * p.quantity),
            } if leg.option is None else {
                "leg_id": leg.leg_id,
                "symbol": leg.option.underlying.symbol,
                "quantity": plain(leg.ratio * p.quantity),
                "option_type": leg.option.option_type,
                "option_expire_date": leg.option.expiration.isoformat(),
                "option_exercise_price": plain(leg.option.strike),
                "option_contract_multiplier": "100",
                "option_contract_deliverable": "100",
                "expiration_type": "PM",
            } for leg in p.legs]
        return body

    def balance(self, account: Account) -> dict[str, Any]:
        def m(value: Decimal) -> str:
            return money(value, self.java)

        figures = [(p, *self.figures(p)) for p in account.positions]
        mv = sum((f[2] for f in figures), ZERO)
        upl = sum((f[3] for f in figures), ZERO)
        dpl = sum((f[4] for f in figures), ZERO)
        cash = account.cash
        top: dict[str, Any] = {"total_asset_currency": "USD"}
        assets: dict[str, Any] = {"currency": "USD"}
        if account.kind == "events":
            top.update(total_cash_balance="", total_market_value=m(mv),
                       total_unrealized_profit_loss=m(upl), total_net_liquidation_value="",
                       total_day_profit_loss=m(dpl))
            assets.update(cash_balance="", market_value=m(mv), unrealized_profit_loss=m(upl),
                          buying_power=m(max(ZERO, cash - account.frozen)))
            top["account_currency_assets"] = [assets]
            return top
        nlv = cash + (upl if account.kind == "futures" else mv)
        settled = cash - account.unsettled_cash
        top.update(total_cash_balance=m(cash), total_market_value=m(mv),
                   total_unrealized_profit_loss=m(upl), total_net_liquidation_value=m(nlv),
                   total_day_profit_loss=m(dpl))
        assets.update(cash_balance=m(cash), settled_cash=m(settled),
                      unsettled_cash=m(account.unsettled_cash), market_value=m(mv),
                      held_amount="0.00", frozen_amount=m(account.frozen))
        if account.kind in ("margin", "futures"):
            init, maint = self._margins(account, figures)
            excess = nlv - init
            ratio = fixed(excess / nlv, 2) if nlv > 0 else "0.00"
            withdrawable = max(ZERO, min(cash, excess))
            leverage = 2 if account.kind == "margin" else 1
            margins = dict(maintenance_margin=m(maint), used_margin=m(init),
                           used_margin_for_open_order=m(account.frozen), init_margin=m(init),
                           intraday_margin=m(maint), margin_excess=m(excess), margin_ratio=ratio)
            if account.kind == "margin":
                top["day_trades_left"] = "UNLIMITED" if nlv >= 25_000 else "3"
            top.update(maintenance_margin=margins["maintenance_margin"], open_margin_calls=[])
            top.update({k: v for k, v in margins.items() if k != "maintenance_margin"})
            assets.update(
                buying_power=m(max(ZERO, excess * leverage - account.frozen)),
                unrealized_profit_loss=m(upl),
                available_withdrawal=m(withdrawable), interests_unpaid="0.00",
                net_liquidation_value=m(nlv), option_buying_power=m(withdrawable),
            )
            if account.kind == "margin":
                assets.update(day_buying_power=m(max(ZERO, excess * 4 - account.frozen)),
                              overnight_buying_power=m(max(ZERO, excess * 2 - account.frozen)),
                              night_trading_buying_power=m(withdrawable))
            assets.update(day_profit_loss=m(dpl), **margins)
        else:
            spendable = settled if account.kind != "crypto" else cash
            assets.update(buying_power=m(max(ZERO, spendable - account.frozen)),
                          unrealized_profit_loss=m(upl),
                          available_withdrawal=m(settled), interests_unpaid="0.00",
                          net_liquidation_value=m(nlv), day_profit_loss=m(dpl))
            if account.kind != "crypto":
                assets["option_buying_power"] = m(settled)
        top["account_currency_assets"] = [assets]
        return top

    def _margins(self, account: Account, figures: list[Any]) -> tuple[Decimal, Decimal]:
        init = maint = ZERO
        catalog = self.market.catalog
        for p, _, mv, _, _ in figures:
            if p.instrument_type == "EQUITY":
                ref = catalog.stocks[p.symbol].ref
                init += abs(mv) * (Decimal("0.5") if ref.marginable else 1)
                maint += abs(mv) * (Decimal(ref.maint_long) if ref.marginable else 1)
            elif p.instrument_type == "OPTION":
                init += max(mv, ZERO)
                maint += max(mv, ZERO)
            elif p.instrument_type == "FUTURES":
                product = catalog.futures[p.symbol].product
                init += abs(p.quantity) * product.init_margin
                maint += abs(p.quantity) * product.maint_margin
        return cents(init), cents(maint)


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), ROUND_HALF_UP)


def price_options_at_start(users: list[User], market: Market) -> None:
    """Give option positions a cost near their value when the simulation starts."""
    r = rng(market.seed, "option-costs")
    for user in users:
        for account in user.accounts:
            for p in account.positions:
                if p.instrument_type == "OPTION":
                    start = sum((leg.weight * market.price(leg.symbol, market.start)
                                 for leg in p.legs), ZERO)
                    drift = Decimal(repr(r.uniform(-0.25, 0.25)))
                    p.cost_price = max(quantize(start * (1 - drift), Decimal("0.01")),
                                       Decimal("0.01"))
