"""OptionChainPicker: loading, empty and error (with Retry) states, expirations with days to
expiry, the strikes near the last price, and a pick by double-click or Enter."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from app.core.catalogue import CatalogueError, ChainRow, OptionChain
from app.ui.option_chain import (
    ChainModel,
    LegPick,
    OptionChainPicker,
    expiry_label,
    near_strikes,
)
from app.webull.models import OptionContract, OptionType

from .test_instrument_pickers import SimInstruments, sim_instruments  # noqa: F401 - fixture

TODAY = date(2026, 11, 2)
NEAR = date(2026, 11, 6)
MONTHLY = date(2026, 11, 20)


def contract(expiry: date, kind: str, strike: str, status: str = "OC",
             cycle: str = "WEEKLY") -> OptionContract:
    occ = f"AAPL{expiry:%y%m%d}{kind[0]}{int(Decimal(strike) * 1000):08d}"
    return OptionContract.model_validate({
        "instrument_id": f"id-{occ}", "symbol": occ, "strike_price": strike,
        "status": "LISTING", "tradable_status": status, "expiration_date": expiry.isoformat(),
        "underlying_symbol": "AAPL", "option_type": kind, "multiplier": "100",
        "expired_cycle": cycle})


def rows_for(expiry: date, cycle: str = "WEEKLY") -> tuple[ChainRow, ...]:
    strikes = ("225", "227.5", "230", "232.5", "235")
    return tuple(
        ChainRow(Decimal(s),
                 contract(expiry, "CALL", s, "NT" if s == "235" else "OC", cycle),
                 None if s == "225" else contract(expiry, "PUT", s, cycle=cycle))
        for s in strikes)


CHAIN = OptionChain("AAPL", (NEAR, MONTHLY),
                    {NEAR: rows_for(NEAR), MONTHLY: rows_for(MONTHLY, "MONTHLY")})


class FakeLoader:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.futures: list[asyncio.Future[OptionChain]] = []

    async def __call__(self, underlying: str) -> OptionChain:
        self.calls.append(underlying)
        future: asyncio.Future[OptionChain] = asyncio.get_running_loop().create_future()
        self.futures.append(future)
        return await future


@pytest.fixture
def make(qtbot: Any, loop: asyncio.AbstractEventLoop) -> Iterator[Any]:
    def build(load: Any, underlying: str = "aapl", **kwargs: Any) -> OptionChainPicker:
        dialog = OptionChainPicker(load, underlying, today=TODAY, **kwargs)
        qtbot.addWidget(dialog)
        dialog.show()
        return dialog

    yield build


def ready(make: Any, qtbot: Any, **kwargs: Any) -> OptionChainPicker:
    async def load(underlying: str) -> OptionChain:
        return CHAIN

    dialog = make(load, **kwargs)
    qtbot.waitUntil(lambda: dialog.state == "ready")
    return dialog


def test_loading_then_the_chain(make: Any, qtbot: Any) -> None:
    loader = FakeLoader()
    dialog = make(loader, last_price=Decimal("230.99"))
    assert not dialog.isModal()
    qtbot.waitUntil(lambda: bool(loader.calls))
    assert loader.calls == ["AAPL"]
    assert dialog.state == "loading"
    assert dialog.message_text() == "Loading the AAPL option chain…"
    assert dialog.retry_button.isHidden()
    with qtbot.waitSignal(dialog.loaded) as loaded:
        loader.futures[0].set_result(CHAIN)
    assert loaded.args == [CHAIN] and dialog.chain() is CHAIN
    assert dialog.state == "ready"
    assert dialog.windowTitle() == "AAPL option chain"
    assert dialog.last_label.text() == "Last 230.99"
    assert [dialog.expirations.item(i).text() for i in range(2)] == [
        "Fri 06 Nov 2026  ·  4 days", "Fri 20 Nov 2026  ·  18 days"]
    assert dialog.expirations.item(1).font().bold()  # the monthly stands out
    assert dialog.current_expiry() == NEAR
    assert dialog.model.rowCount() == 5
    # the cursor starts at the money: the 230 call
    assert dialog.table.currentIndex().row() == 2 and dialog.table.currentIndex().column() == 0


def test_strikes_near_the_last_price_are_tinted(make: Any, qtbot: Any) -> None:
    dialog = ready(make, qtbot, last_price=Decimal("230.99"))
    model = dialog.model
    tinted = [model.row(r).strike for r in range(model.rowCount())
              if model.data(model.index(r, 2), Qt.ItemDataRole.BackgroundRole) is not None]
    assert tinted == [Decimal(230), Decimal("232.5")]
    assert "near the last price" in model.data(model.index(2, 2), Qt.ItemDataRole.ToolTipRole)


def test_without_a_last_price_nothing_is_tinted(make: Any, qtbot: Any) -> None:
    dialog = ready(make, qtbot)
    assert dialog.last_label.text() == "Last price unknown"
    model = dialog.model
    assert all(model.data(model.index(r, 2), Qt.ItemDataRole.BackgroundRole) is None
               for r in range(model.rowCount()))


def test_double_click_on_a_call_picks_it_and_closes(make: Any, qtbot: Any) -> None:
    dialog = ready(make, qtbot)
    dialog.expirations.setCurrentRow(1)
    index = dialog.model.index(1, 0)  # the 227.5 call of the monthly
    rect = dialog.table.visualRect(index)
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialog.isVisible()  # one click selects, it does not pick
    with qtbot.waitSignal(dialog.picked) as picked:
        qtbot.mouseDClick(dialog.table.viewport(), Qt.MouseButton.LeftButton,
                          pos=rect.center())
    pick = picked.args[0]
    assert pick == LegPick(MONTHLY, Decimal("227.5"), OptionType.CALL,
                           CHAIN.rows[MONTHLY][1].call)
    assert pick.contract.symbol == "AAPL261120C00227500"
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Accepted


def test_enter_on_a_put_picks_it(make: Any, qtbot: Any) -> None:
    dialog = ready(make, qtbot)
    assert dialog.select(NEAR, Decimal("232.5"), OptionType.PUT)
    dialog.table.setFocus()
    with qtbot.waitSignal(dialog.picked) as picked:
        qtbot.keyClick(dialog.table, Qt.Key.Key_Left)  # the put's status column: still the put
        qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    assert picked.args[0].option_type == OptionType.PUT
    assert picked.args[0].strike == Decimal("232.5") and picked.args[0].expiry == NEAR


def test_unlisted_and_untradable_contracts_are_refused_in_words(make: Any, qtbot: Any) -> None:
    dialog = ready(make, qtbot)
    seen: list[Any] = []
    dialog.picked.connect(seen.append)
    assert dialog.select(NEAR, Decimal(235), OptionType.CALL)
    qtbot.keyClick(dialog.table, Qt.Key.Key_Enter)
    assert seen == [] and dialog.isVisible()
    assert dialog.hint.text() == "The 235.00 call cannot be traded (not tradable); pick another."
    assert dialog.hint.objectName() == "fieldError"
    assert dialog.model.data(dialog.model.index(4, 1)) == "Not tradable"
    assert dialog.select(NEAR, Decimal(225), OptionType.PUT)
    qtbot.keyClick(dialog.table, Qt.Key.Key_Enter)
    assert seen == [] and "(not listed)" in dialog.hint.text()
    qtbot.keyClick(dialog.table, Qt.Key.Key_Down)  # moving on puts the usual hint back
    assert dialog.hint.text().startswith("Double-click") and dialog.hint.objectName() == "dataAge"
    assert dialog.model.data(dialog.model.index(0, 4)) == "—"


def test_the_strike_column_picks_nothing(make: Any, qtbot: Any) -> None:
    dialog = ready(make, qtbot)
    seen: list[Any] = []
    dialog.picked.connect(seen.append)
    dialog.table.setCurrentIndex(dialog.model.index(1, ChainModel.STRIKE_COLUMN))
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    assert seen == [] and dialog.isVisible()


def test_empty_chain_says_so(make: Any, qtbot: Any) -> None:
    async def load(underlying: str) -> OptionChain:
        return OptionChain("XYZ", (), {})

    dialog = make(load, "xyz")
    qtbot.waitUntil(lambda: dialog.state == "empty")
    assert dialog.message_text() == "No listed options for XYZ"
    assert dialog.retry_button.isHidden()


def test_error_then_retry(make: Any, qtbot: Any) -> None:
    answers: list[Any] = [CatalogueError("Could not read Webull's option list: Webull answered "
                                         "with a server error (503)."), CHAIN]

    async def load(underlying: str) -> OptionChain:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    dialog = make(load)
    qtbot.waitUntil(lambda: dialog.state == "error")
    assert "server error (503)" in dialog.message_text()
    assert "Retry" in dialog.message_text() and dialog.retry_button.isVisibleTo(dialog)
    qtbot.mouseClick(dialog.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.state == "ready")
    assert dialog.model.rowCount() == 5


def test_an_unexpected_failure_is_a_sentence(make: Any, qtbot: Any) -> None:
    async def load(underlying: str) -> OptionChain:
        raise RuntimeError("boom")

    dialog = make(load)
    qtbot.waitUntil(lambda: dialog.state == "error")
    assert dialog.message_text().startswith("The option chain could not be loaded "
                                            "(RuntimeError).")


def test_closing_while_loading_cancels_the_load(make: Any, qtbot: Any) -> None:
    loader = FakeLoader()
    dialog = make(loader)
    qtbot.waitUntil(lambda: bool(loader.futures))
    dialog.reject()
    qtbot.waitUntil(lambda: loader.futures[0].cancelled())
    assert dialog.state == "loading"


def test_helpers() -> None:
    strikes = [Decimal(s) for s in ("225", "230", "235")]
    assert near_strikes(strikes, Decimal(230)) == {Decimal(230)}
    assert near_strikes(strikes, Decimal(231)) == {Decimal(230), Decimal(235)}
    assert near_strikes(strikes, Decimal(1)) == {Decimal(225)}
    assert near_strikes(strikes, None) == frozenset()
    assert expiry_label(TODAY, TODAY) == "Mon 02 Nov 2026  ·  expires today"
    assert expiry_label(date(2026, 11, 3), TODAY).endswith("1 day")


def test_chain_model_passes_the_model_tester(qtmodeltester: Any) -> None:
    model = ChainModel()
    qtmodeltester.check(model)
    model.set_rows(rows_for(NEAR), Decimal(231))
    qtmodeltester.check(model)
    assert model.headerData(2, Qt.Orientation.Horizontal) == "Strike"
    assert model.data(model.index(0, 0)) == "AAPL261106C00225000"
    assert model.data(model.index(0, 2)) == "225.00"
    assert model.data(model.index(0, 1)) == ""  # open: no status noise
    assert model.data(model.index(0, 0), Qt.ItemDataRole.FontRole).fixedPitch()
    model.set_rows(())
    qtmodeltester.check(model)


def test_chain_from_the_simulator(make: Any, qtbot: Any,
                                  sim_instruments: SimInstruments) -> None:  # noqa: F811
    dialog = make(sim_instruments.option_chain, "AAPL")
    qtbot.waitUntil(lambda: dialog.state == "ready", timeout=20_000)
    assert dialog.expirations.count() >= 4
    assert dialog.model.rowCount() > 10
    dialog.expirations.setCurrentRow(1)
    index = dialog.model.index(dialog.model.rowCount() // 2, 0)
    dialog.table.setCurrentIndex(index)
    with qtbot.waitSignal(dialog.picked) as picked:
        qtbot.keyClick(dialog.table, Qt.Key.Key_Return)
    pick = picked.args[0]
    chain_row = dialog.model.row(index.row())
    assert pick.option_type == OptionType.CALL and pick.strike == chain_row.strike
    assert pick.contract.symbol.startswith("AAPL") and pick.contract.expiration_date == \
        pick.expiry
    assert pick.contract.strike_price == pick.strike
