"""OrderRequest: one press of Submit, as journaled and sent."""

from __future__ import annotations

import pytest

from app.core.order_request import OrderRequest
from app.webull.models import NewOrder


def order(coid: str, combo: str = "NORMAL", **extra: str) -> NewOrder:
    fields = {"client_order_id": coid, "combo_type": combo, "symbol": "AAPL",
              "instrument_type": "EQUITY", "side": "BUY", "order_type": "LIMIT",
              "time_in_force": "DAY", "quantity": "10", "limit_price": "187.5",
              "support_trading_session": "CORE"} | extra
    return NewOrder(**fields)


def test_single_order_body_and_key() -> None:
    req = OrderRequest("ACC1", (order("a" * 32),))
    assert req.key == "a" * 32
    assert "client_combo_order_id" not in req.body()
    assert req.body()["new_orders"][0]["limit_price"] == "187.5"


def test_combo_round_trips_through_the_journal_body() -> None:
    req = OrderRequest("ACC1", (order("m" * 32, "MASTER"),
                                order("p" * 32, "STOP_PROFIT", side="SELL", limit_price="200")),
                       combo_id="c" * 32)
    assert req.key == "m" * 32
    again = OrderRequest.from_body("ACC1", req.body())
    assert again == req
    assert again.body() == req.body()


def test_empty_and_repeated_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        OrderRequest("ACC1", ())
    with pytest.raises(ValueError, match="distinct"):
        OrderRequest("ACC1", (order("a" * 32), order("a" * 32)))
