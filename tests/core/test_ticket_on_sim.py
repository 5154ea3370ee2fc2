"""Every kind of ticket the desk can build is accepted by the simulator (issue 5): each class,
each order type, each bracket and each option strategy is built by app.core.ticket from typed
text, then previewed (crypto: placed and cancelled, as Webull has no crypto preview) through our
client over loopback. Modifications built by build_modify are accepted by the replace endpoint.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

import pytest

from app.core.order_request import OrderRequest
from app.core.ticket import (
    Bracket,
    InstrumentInfo,
    ModifyDraft,
    TicketDraft,
    TicketIds,
    build,
    build_modify,
    draft_to_close,
    strategy_template,
)
from app.demo import auto_sign_in, demo_connection
from app.sim import SimServer
from app.sim.accounts import Valuer
from app.sim.instruments import strike_step
from app.webull.client import WebullClient
from app.webull.errors import WebullError
from app.webull.models import (
    Account,
    EntrustType,
    EventOutcome,
    InstrumentType,
    OptionStrategy,
    OrderType,
    Position,
    PriceRange,
    Side,
    TimeInForce,
    TradingSession,
    TrailingType,
)
from app.webull.oauth import AuthorizationFlow, TokenManager
from app.webull.ratelimit import RateLimiter
from app.webull.transport import RetryPolicy, Transport

EQ, OPT, FUT, CRY, EVT = (InstrumentType.EQUITY, InstrumentType.OPTION, InstrumentType.FUTURES,
                          InstrumentType.CRYPTO, InstrumentType.EVENT)
B, S, SH = Side.BUY, Side.SELL, Side.SHORT
MKT, LMT, STP, STPLMT, TRAIL = (OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_LOSS,
                                OrderType.STOP_LOSS_LIMIT, OrderType.TRAILING_STOP_LOSS)


@pytest.fixture(scope="module")
def server() -> Iterator[SimServer]:
    # frozen prices: every limit below is where the test puts it; no server-side rate limits
    with SimServer(seed=7, auto_approve=True, rate_limits=None, volatility_scale=0.0) as sim:
        yield sim


@pytest.fixture
async def client(server: SimServer) -> AsyncIterator[WebullClient]:
    env, creds = demo_connection(server)

    async def no_sleep(_: float) -> None:
        return None

    transport = Transport(env, creds.signing_key, limiter=RateLimiter(),
                          retry=RetryPolicy(sleep=no_sleep))
    tokens = TokenManager(transport, creds)
    await auto_sign_in(AuthorizationFlow(env, creds), tokens)
    yield WebullClient(transport, tokens.access_token)
    await transport.aclose()


# ---------------------------------------------------------------------------- the sim's world

@dataclass
class World:
    """The demo user's accounts, positions and instruments, read from the simulator."""

    sim: SimServer

    def account(self, kind: str) -> Account:
        user = self.sim.state.registry.user("demo")
        assert user is not None
        found = next(a for a in user.accounts if a.kind == kind)
        return Account.model_validate(found.wire())

    def positions(self, kind: str) -> list[Position]:
        user = self.sim.state.registry.user("demo")
        assert user is not None
        found = next(a for a in user.accounts if a.kind == kind)
        valuer = Valuer(self.sim.state.market)
        return [Position.model_validate(valuer.position(p)) for p in found.positions]

    def position(self, kind: str, symbol_prefix: str,
                 instrument: InstrumentType | None = None) -> Position:
        return next(p for p in self.positions(kind) if p.symbol.startswith(symbol_prefix)
                    and instrument in (None, p.instrument_type))

    def last(self, symbol: str) -> Decimal:
        return self.sim.state.market.price(symbol)

    def stock(self, symbol: str) -> InstrumentInfo:
        ref = self.sim.state.catalog.stocks[symbol].ref
        return InstrumentInfo(EQ, symbol, ref.name, lot_size=Decimal(1),
                              fractionable=ref.fractionable, shortable=ref.shortable,
                              tradable=ref.status != "NT", closing_only=ref.status == "CO",
                              last_price=self.last(symbol), last_price_source="simulator")

    def futures(self, code: str) -> InstrumentInfo:
        contract = min((c for c in self.sim.state.catalog.futures.values() if c.code == code),
                       key=lambda c: c.last_trading)
        return InstrumentInfo(FUT, contract.symbol, tick=contract.tick, multiplier=contract.size,
                              last_price=self.last(contract.symbol))

    def crypto(self, symbol: str) -> InstrumentInfo:
        pair = self.sim.state.catalog.crypto[symbol]
        return InstrumentInfo(CRY, symbol, tick=pair.price_step, fractionable=True,
                              min_quantity=Decimal("0.00000001"), max_quantity=Decimal(10) ** 10,
                              min_amount=Decimal(2), max_amount=Decimal(100_000),
                              last_price=self.last(symbol))

    def event(self, symbol: str) -> InstrumentInfo:
        market = self.sim.state.catalog.events[symbol]
        ranges = (PriceRange.model_validate({"start": "0.01", "end": "0.99", "step": "0.01"}),)
        return InstrumentInfo(EVT, symbol, market.name, fractionable=market.series.fractionable,
                              price_ranges=ranges, last_price=self.last(symbol),
                              detail=market.yes_condition)

    def chain(self, underlying: str) -> tuple[date, date, Decimal, Decimal]:
        """(an expiry about a month out, the next monthly one, the strike at the money, the
        strike step) of an underlying's listed chain."""
        catalog = self.sim.state.catalog
        near = catalog.option_at(underlying, 25, 0, "CALL")
        later = min(day for day, cycle in catalog.expirations()
                    if cycle == "MONTHLY" and day > near.expiration)
        return near.expiration, later, near.strike, strike_step(
            catalog.stocks[underlying].start_price)


def at(price: Decimal, factor: str, tick: Decimal = Decimal("0.01")) -> str:
    """``price × factor`` on the tick, as a trader would type it."""
    return str((price * Decimal(factor) / tick).to_integral_value(ROUND_DOWN) * tick)


Case = tuple[str, TicketDraft, InstrumentInfo, Position | None]


def _stock(w: World, symbol: str = "AAPL", **fields: object) -> Case:
    account = w.account("margin")
    return "margin", TicketDraft(account.account_id, EQ, symbol, **fields), w.stock(symbol), None


def _options(w: World, strategy: OptionStrategy, side: Side = B, **fields: object) -> Case:
    account = w.account("margin")
    expiry, later, strike, step = w.chain("AAPL")
    legs = strategy_template(strategy, expiry=expiry, strike=strike, step=step,
                             later_expiry=later)
    fields = {"quantity": "1", "limit_price": "1.50", **fields}
    draft = TicketDraft(account.account_id, OPT, "AAPL", side=side, strategy=strategy,
                        legs=legs, **fields)  # type: ignore[arg-type]
    return "margin", draft, InstrumentInfo(OPT, "AAPL", multiplier=Decimal(100)), None


def _class(w: World, kind: str, instrument: InstrumentInfo, **fields: object) -> Case:
    draft = TicketDraft(w.account(kind).account_id, instrument.instrument, instrument.symbol,
                        **fields)
    return kind, draft, instrument, None


def _close(w: World, kind: str, prefix: str, info: InstrumentInfo) -> Case:
    position = w.position(kind, prefix, info.instrument)
    return kind, draft_to_close(w.account(kind), position, info), info, position


AAPL = "AAPL"
CASES: dict[str, Callable[[World], Case]] = {
    "stock limit buy": lambda w: _stock(w, quantity="1", limit_price=at(w.last(AAPL), "0.9")),
    "stock market buy, all sessions, GTC": lambda w: _stock(
        w, order_type=MKT, quantity="2", tif=TimeInForce.GTC, session=TradingSession.ALL),
    "stock stop buy": lambda w: _stock(w, order_type=STP, quantity="1",
                                       stop_price=at(w.last(AAPL), "1.05")),
    "stock stop-limit sell": lambda w: _stock(
        w, side=S, order_type=STPLMT, quantity="3", stop_price=at(w.last(AAPL), "0.95"),
        limit_price=at(w.last(AAPL), "0.94")),
    "stock trailing $ sell": lambda w: _stock(w, side=S, order_type=TRAIL, quantity="1",
                                              trailing_step="2.50"),
    "stock trailing % sell": lambda w: _stock(
        w, side=S, order_type=TRAIL, quantity="1", trailing_type=TrailingType.PERCENTAGE,
        trailing_step="5"),
    "stock fractional market buy": lambda w: _stock(w, order_type=MKT, quantity="0.12345"),
    "stock dollar amount buy": lambda w: _stock(w, order_type=MKT, entrust=EntrustType.AMOUNT,
                                                amount="125.50"),
    "stock short sale": lambda w: _stock(w, "TSLA", side=SH, quantity="1",
                                         limit_price=at(w.last("TSLA"), "1.1")),
    "stock overnight limit": lambda w: _stock(w, quantity="1", session=TradingSession.NIGHT,
                                              limit_price=at(w.last(AAPL), "0.9")),
    "bracket take-profit and stop-loss": lambda w: _stock(
        w, quantity="5", limit_price=at(w.last(AAPL), "0.99"), bracket=Bracket.TP_SL,
        take_profit_price=at(w.last(AAPL), "1.1"), stop_loss_price=at(w.last(AAPL), "0.9")),
    "bracket take-profit only, market entry": lambda w: _stock(
        w, order_type=MKT, quantity="5", bracket=Bracket.TP_SL,
        take_profit_price=at(w.last(AAPL), "1.1")),
    "bracket on a short sale": lambda w: _stock(
        w, "TSLA", side=SH, quantity="2", limit_price=at(w.last("TSLA"), "1.01"),
        bracket=Bracket.TP_SL, take_profit_price=at(w.last("TSLA"), "0.9"),
        stop_loss_price=at(w.last("TSLA"), "1.1")),
    "OTO buy then sell": lambda w: _stock(
        w, quantity="2", limit_price=at(w.last(AAPL), "0.95"), bracket=Bracket.OTO,
        follow_up_side=S, follow_up_type=LMT, follow_up_price=at(w.last(AAPL), "1.2")),
    "OTO stop entry, market follow-up": lambda w: _stock(
        w, order_type=STP, quantity="2", stop_price=at(w.last(AAPL), "1.05"),
        bracket=Bracket.OTO, follow_up_side=S, follow_up_type=MKT),
    "OCO on shares held": lambda w: _stock(
        w, side=S, quantity="10", bracket=Bracket.OCO, tif=TimeInForce.GTC,
        take_profit_price=at(w.last(AAPL), "1.15"), stop_loss_price=at(w.last(AAPL), "0.85")),
    "OTOCO": lambda w: _stock(
        w, quantity="3", limit_price=at(w.last(AAPL), "0.98"), bracket=Bracket.OTOCO,
        take_profit_price=at(w.last(AAPL), "1.1"), stop_loss_price=at(w.last(AAPL), "0.9")),
    "close a stock position": lambda w: _close(w, "margin", "MSFT", w.stock("MSFT")),
    "close a fractional stock position": lambda w: _close(w, "margin", "AMZN", w.stock("AMZN")),
    # options
    "option single buy GTC": lambda w: _options(w, OptionStrategy.SINGLE, tif=TimeInForce.GTC),
    "option single sell to open": lambda w: _options(w, OptionStrategy.SINGLE, S),
    "option single stop-limit": lambda w: _options(
        w, OptionStrategy.SINGLE, order_type=STPLMT, stop_price="1.40"),
    "option single with take-profit and stop-loss": lambda w: _options(
        w, OptionStrategy.SINGLE, bracket=Bracket.TP_SL, take_profit_price="3.00",
        stop_loss_price="0.75", tif=TimeInForce.GTC),
    **{f"option {s.value.lower()}": (lambda w, s=s: _options(w, s)) for s in (
        OptionStrategy.VERTICAL, OptionStrategy.STRADDLE, OptionStrategy.STRANGLE,
        OptionStrategy.CALENDAR, OptionStrategy.DIAGONAL, OptionStrategy.BUTTERFLY,
        OptionStrategy.CONDOR, OptionStrategy.IRON_BUTTERFLY, OptionStrategy.IRON_CONDOR,
        OptionStrategy.COVERED_STOCK, OptionStrategy.COLLAR_WITH_STOCK)},
    "option iron condor for a credit": lambda w: _options(w, OptionStrategy.IRON_CONDOR, S),
    "option vertical, market": lambda w: _options(w, OptionStrategy.VERTICAL, order_type=MKT),
    "option vertical, low bid": lambda w: _options(w, OptionStrategy.VERTICAL,
                                                   limit_price="0.05"),
    "close a single option": lambda w: _close(w, "margin", "SPY", InstrumentInfo(OPT, "SPY")),
    "close a vertical": lambda w: _close(w, "margin", "TSLA", InstrumentInfo(OPT, "TSLA")),
    # futures
    **{f"futures {t.value.lower()}": (lambda w, t=t: _class(
        w, "futures", w.futures("ES"), order_type=t, quantity="1",
        limit_price=at(w.last(w.futures("ES").symbol), "0.97", Decimal("0.25")),
        stop_price=at(w.last(w.futures("ES").symbol), "1.03", Decimal("0.25")),
        trailing_step="5.25")) for t in (MKT, LMT, STP, STPLMT, TRAIL)},
    "futures micro limit": lambda w: _class(
        w, "futures", w.futures("MES"), quantity="1",
        limit_price=at(w.last(w.futures("MES").symbol), "0.9", Decimal("0.25"))),
    "futures sell gold GTC": lambda w: _class(
        w, "futures", w.futures("GC"), side=S, quantity="1", tif=TimeInForce.GTC,
        limit_price=at(w.last(w.futures("GC").symbol), "1.05", Decimal("0.1"))),
    "close a futures position": lambda w: _close(w, "futures", "ES", w.futures("ES")),
    # event contracts
    "event buy yes": lambda w: _class(
        w, "events", w.event(w.position("events", "KXRATECUTCOUNT").symbol),
        event_outcome=EventOutcome.YES, quantity="10", limit_price="0.05"),
    "event buy no": lambda w: _class(
        w, "events", w.event(w.position("events", "KXRATECUTCOUNT").symbol),
        event_outcome=EventOutcome.NO, quantity="3", limit_price="0.50"),
    "close an event position": lambda w: _close(
        w, "events", "KXFEDDECISION", w.event(w.position("events", "KXFEDDECISION").symbol)),
}
CRYPTO_CASES: dict[str, Callable[[World], Case]] = {
    "crypto limit buy": lambda w: _class(
        w, "crypto", w.crypto("BTCUSD"), quantity="0.001",
        limit_price=at(w.last("BTCUSD"), "0.8")),
    "crypto market buy by amount (IOC)": lambda w: _class(
        w, "crypto", w.crypto("ETHUSD"), order_type=MKT, tif=TimeInForce.IOC,
        entrust=EntrustType.AMOUNT, amount="25"),
    "crypto stop-limit sell": lambda w: _class(
        w, "crypto", w.crypto("BTCUSD"), side=S, order_type=STPLMT, quantity="0.01",
        tif=TimeInForce.GTC, stop_price=at(w.last("BTCUSD"), "0.8"),
        limit_price=at(w.last("BTCUSD"), "0.79")),
    "crypto market sell": lambda w: _class(
        w, "crypto", w.crypto("SOLUSD"), side=S, order_type=MKT, tif=TimeInForce.IOC,
        quantity="0.5"),
    "close a crypto position": lambda w: _close(w, "crypto", "ETHUSD", w.crypto("ETHUSD")),
}


def _built(server: SimServer, case: Callable[[World], Case]) -> OrderRequest:
    kind, draft, info, position = case(World(server))
    result = build(draft, info, World(server).account(kind), TicketIds.fresh(),
                   position=position)
    assert result.errors == {} and result.request is not None, result.errors
    assert result.words and result.facts is not None
    return result.request


async def _cancel(client: WebullClient, account: str, key: str) -> None:
    """Cancel what is left of an order (a marketable one may have filled at once)."""
    try:
        await client.cancel_order(account, key)
    except WebullError:
        group = await client.get_order(account, key)
        assert group.orders[0].status.value == "FILLED"


@pytest.mark.parametrize("name", list(CASES))
async def test_the_simulator_previews_every_ticket(name: str, server: SimServer,
                                                   client: WebullClient) -> None:
    request = _built(server, CASES[name])
    quote = await client.preview_order(request.account_id, list(request.orders),
                                       request.combo_id)
    assert quote.estimated_cost >= 0 and quote.estimated_transaction_fee >= 0


@pytest.mark.parametrize("name", list(CRYPTO_CASES))
async def test_the_simulator_places_every_crypto_ticket(name: str, server: SimServer,
                                                        client: WebullClient) -> None:
    request = _built(server, CRYPTO_CASES[name])
    placed = await client.place_order(request.account_id, list(request.orders))
    assert placed.client_order_id == request.key
    await _cancel(client, request.account_id, request.key)


MODIFY_CASES: dict[str, tuple[str, ModifyDraft]] = {
    "stock limit: price and quantity": ("stock limit buy", ModifyDraft(quantity="2",
                                                                       limit_price="150.00")),
    "stock limit → market": ("stock limit buy", ModifyDraft(order_type=MKT,
                                                            limit_price="1.00")),
    "stock stop: stop and time in force": ("stock stop buy", ModifyDraft(
        stop_price="400.00", tif=TimeInForce.GTC)),
    "stock stop-limit → limit": ("stock stop-limit sell", ModifyDraft(order_type=LMT)),
    "stock trailing: step": ("stock trailing % sell", ModifyDraft(trailing_step="7.5")),
    "option vertical: quantity": ("option vertical, low bid", ModifyDraft(quantity="3")),
    "option single: limit": ("option single buy GTC", ModifyDraft(limit_price="1.25")),
    "futures limit: quantity and price": ("futures micro limit", ModifyDraft(
        quantity="2", limit_price="5000.25")),
    "event: price": ("event buy yes", ModifyDraft(limit_price="0.04")),
}


@pytest.mark.parametrize("name", list(MODIFY_CASES))
async def test_the_simulator_replaces_as_built(name: str, server: SimServer,
                                               client: WebullClient) -> None:
    base, draft = MODIFY_CASES[name]
    request = _built(server, CASES[base])
    account = request.account_id
    await client.place_order(account, list(request.orders), request.combo_id)
    item = (await client.get_order(account, request.key)).orders[0]
    result = build_modify(item, draft, None, account, TicketIds.fresh().order_ids[0])
    assert result.errors == {} and result.modification is not None, result.errors
    assert result.preview_request is not None and result.words
    await client.preview_order(account, list(result.preview_request.orders))
    await client.replace_order(account, [result.modification])
    after = (await client.get_order(account, request.key)).orders[0]
    for field, value in result.modification.to_wire().items():
        if field in ("quantity", "limit_price", "stop_price", "trailing_stop_step"):
            assert getattr(after, "total_quantity" if field == "quantity" else field) \
                == Decimal(value)
        elif field in ("order_type", "time_in_force"):
            assert getattr(after, field).value == value
    await _cancel(client, account, request.key)
