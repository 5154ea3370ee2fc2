"""CSV export: exact decimals, UTC times, legs as rows, formula injection guarded."""

from __future__ import annotations

import csv
import io

from app.core.export import ORDER_COLUMNS, POSITION_COLUMNS, orders_csv, positions_csv
from app.core.rows import order_rows

from .conftest import group, item, position

LEG = {"leg_id": "L1", "symbol": "TSLA", "quantity": "-5", "option_type": "CALL",
       "option_expire_date": "2026-10-16", "option_exercise_price": "410.50",
       "option_contract_multiplier": "100"}


def read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_positions_exact_with_legs_as_rows() -> None:
    out = io.StringIO()
    n = positions_csv([position("P1", qty="10.000", last="187.2500"),
                       position("P2", "TSLA", qty="-5", legs=[LEG])], out)
    rows = read(out.getvalue())
    assert n == 3 == len(rows)
    assert out.getvalue().splitlines()[0] == ",".join(POSITION_COLUMNS)
    assert rows[0]["quantity"] == "10.000" and rows[0]["last_price"] == "187.2500"
    assert rows[0]["leg_id"] == "" and rows[0]["instrument_type"] == "EQUITY"
    assert rows[1]["quantity"] == "-5"  # a number, not text: no quote prefix
    assert rows[1]["option_strategy"] == "VERTICAL"
    leg = rows[2]
    assert (leg["position_id"], leg["leg_id"], leg["quantity"]) == ("P2", "L1", "-5")
    assert (leg["strike_price"], leg["option_expire_date"], leg["option_type"]) == (
        "410.50", "2026-10-16", "CALL")


def test_text_that_looks_like_a_formula_is_quoted() -> None:
    out = io.StringIO()
    evil = [position("=HYPERLINK(\"x\")", symbol="+SUM(A1)"),
            position("-2+3", symbol="@cmd"), position("\tX", symbol="\rY")]
    positions_csv(evil, out)
    rows = read(out.getvalue())
    assert [r["position_id"] for r in rows] == ["'=HYPERLINK(\"x\")", "'-2+3", "'\tX"]
    assert [r["symbol"] for r in rows] == ["'+SUM(A1)", "'@cmd", "'\rY"]


def test_orders_exact_and_times_in_utc() -> None:
    g = group(item("X1", status="PARTIAL_FILLED", qty="10", filled="4.5", price="187.2500"),
              item("X2", side="SELL", limit="-1.05"))
    out = io.StringIO()
    n = orders_csv(order_rows([g]), out)
    rows = read(out.getvalue())
    assert n == 2 and list(rows[0]) == list(ORDER_COLUMNS)
    first = rows[0]
    assert (first["client_order_id"], first["status"], first["filled_quantity"],
            first["filled_price"]) == ("X1", "PARTIAL_FILLED", "4.5", "187.2500")
    assert first["place_time"] == "2026-01-05T14:30:00Z"
    assert first["filled_time"] == "" and first["combo_type"] == "NORMAL"
    assert rows[1]["limit_price"] == "-1.05" and rows[1]["side"] == "SELL"
