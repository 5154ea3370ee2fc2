"""The ticket's capability table (API.md §7): what each account and instrument class allows."""

from __future__ import annotations

import itertools

import pytest

from app.core.capabilities import (
    CAPABILITIES,
    Choice,
    capability_for,
    instruments_for,
    refusals,
)
from app.webull.models import (
    Account,
    ComboType,
    EntrustType,
    InstrumentType,
    OrderType,
    Side,
    TimeInForce,
    TradingSession,
)


def account(cls: str, kind: str = "MARGIN") -> Account:
    return Account.model_validate({"account_id": "A1", "account_number": "N1",
                                   "account_type": kind, "account_class": cls})


@pytest.mark.parametrize(("cls", "instruments"), [
    ("INDIVIDUAL_MARGIN", ("EQUITY", "OPTION")), ("INDIVIDUAL_CASH", ("EQUITY", "OPTION")),
    ("FUTURES", ("FUTURES",)), ("CRYPTO", ("CRYPTO",)), ("EVENTS_CASH", ("EVENT",)),
])
def test_each_account_class_trades_its_instruments(cls: str, instruments: tuple[str, ...]) -> None:
    assert [i.value for i in instruments_for(account(cls))] == list(instruments)
    other = next(i for i in InstrumentType if i.value not in instruments)
    assert capability_for(account(cls), other) is None


def test_short_selling_only_in_margin_accounts() -> None:
    margin = capability_for(account("INDIVIDUAL_MARGIN"), InstrumentType.EQUITY)
    cash = capability_for(account("INDIVIDUAL_CASH", "CASH"), InstrumentType.EQUITY)
    assert margin is not None and Side.SHORT in margin.sides
    assert cash is not None and Side.SHORT not in cash.sides
    assert "cash account" in refusals(cash, Choice(Side.SHORT, OrderType.LIMIT,
                                                    TimeInForce.DAY))["side"]


@pytest.mark.parametrize(("instrument", "choice", "field", "words"), [
    ("CRYPTO", Choice(Side.BUY, OrderType.MARKET, TimeInForce.DAY), "tif", "IOC only"),
    ("CRYPTO", Choice(Side.SELL, OrderType.STOP_LOSS_LIMIT, TimeInForce.GTC,
                      EntrustType.AMOUNT), "entrust", "as a quantity"),
    ("OPTION", Choice(Side.SELL, OrderType.LIMIT, TimeInForce.GTC), "tif", "DAY only"),
    ("OPTION", Choice(Side.BUY, OrderType.TRAILING_STOP_LOSS, TimeInForce.DAY), "order_type",
     "not available for options"),
    ("OPTION", Choice(Side.BUY, OrderType.LIMIT, TimeInForce.DAY, combo=ComboType.MASTER,
                      multi_leg=True), "combo", "single-leg"),
    ("OPTION", Choice(Side.BUY, OrderType.LIMIT, TimeInForce.DAY, combo=ComboType.OTO),
     "combo", "not available"),
    ("EVENT", Choice(Side.BUY, OrderType.MARKET, TimeInForce.DAY), "order_type", "not available"),
    ("EVENT", Choice(Side.BUY, OrderType.LIMIT, TimeInForce.GTC), "tif", "DAY only"),
    ("FUTURES", Choice(Side.BUY, OrderType.LIMIT, TimeInForce.DAY, EntrustType.AMOUNT),
     "entrust", "quantity only"),
    ("FUTURES", Choice(Side.BUY, OrderType.LIMIT, TimeInForce.DAY,
                       session=TradingSession.ALL), "session", "stocks and ETFs only"),
    ("EQUITY", Choice(Side.BUY, OrderType.LIMIT, TimeInForce.DAY, EntrustType.AMOUNT),
     "entrust", "market orders"),
])
def test_refusals_name_the_field_and_say_why(instrument: str, choice: Choice, field: str,
                                             words: str) -> None:
    found = refusals(CAPABILITIES[InstrumentType(instrument)], choice)
    assert words in found[field]


def test_every_choice_the_table_offers_is_accepted() -> None:
    """The ticket offers only what the table lists: each such combination, apart from the
    per-class rules spelled out above, has no refusal."""
    for cap in CAPABILITIES.values():
        sessions = cap.sessions or (None,)
        for side, order_type, entrust, session, combo in itertools.product(
                cap.sides, cap.order_types, cap.entrust, sessions, cap.combos):
            for tif in cap.tifs[order_type]:
                choice = Choice(side, order_type, tif, entrust, session, combo)
                found = refusals(cap, choice)
                class_rule = (
                    (cap.instrument is InstrumentType.OPTION and side is Side.SELL
                     and tif is not TimeInForce.DAY)
                    or (cap.instrument is InstrumentType.EQUITY
                        and entrust is EntrustType.AMOUNT and order_type is not OrderType.MARKET)
                    or (cap.instrument is InstrumentType.CRYPTO and entrust is EntrustType.AMOUNT
                        and order_type is OrderType.STOP_LOSS_LIMIT and side is Side.SELL))
                assert bool(found) == class_rule, (cap.instrument, choice, found)


def test_crypto_has_no_preview_and_no_modify() -> None:
    crypto = CAPABILITIES[InstrumentType.CRYPTO]
    assert not crypto.previewable and not crypto.modifiable and crypto.quantity_places == 8
    assert all(c.previewable and c.modifiable for i, c in CAPABILITIES.items()
               if i is not InstrumentType.CRYPTO)
