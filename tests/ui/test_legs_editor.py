"""LegsEditor: rows from a strategy template, legs() round trip, strikes kept as typed, the
stock leg of covered stock and collars, chain picks, per-leg messages and `changed`."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt

from app.core.ticket import LegDraft
from app.core.ticket_input import NumberFormat
from app.ui.legs_editor import MAX_RATIO, LegsEditor
from app.ui.option_chain import LegPick
from app.webull.models import OptionContract, OptionStrategy, OptionType, Side

from .support import run
from .test_instrument_pickers import SimInstruments, sim_instruments  # noqa: F401 - fixture

TODAY = date(2026, 11, 2)
NOV20 = date(2026, 11, 20)
DEC18 = date(2026, 12, 18)
VERTICAL = (LegDraft(Side.BUY, OptionType.CALL, Decimal(230), NOV20),
            LegDraft(Side.SELL, OptionType.CALL, Decimal(240), NOV20))
BUTTERFLY = (LegDraft(Side.BUY, OptionType.PUT, Decimal(220), DEC18),
             LegDraft(Side.SELL, OptionType.PUT, Decimal(230), DEC18, 2),
             LegDraft(Side.BUY, OptionType.PUT, Decimal(240), DEC18))
COVERED = (LegDraft(Side.BUY, None), LegDraft(Side.SELL, OptionType.CALL, Decimal("250.5"),
                                               DEC18))


@pytest.fixture
def editor(qtbot: Any) -> LegsEditor:
    widget = LegsEditor(today=TODAY)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def count_changes(editor: LegsEditor) -> list[None]:
    seen: list[None] = []
    editor.changed.connect(lambda: seen.append(None))
    return seen


@pytest.mark.parametrize(("strategy", "template"), [
    (OptionStrategy.VERTICAL, VERTICAL), (OptionStrategy.BUTTERFLY, BUTTERFLY),
    (OptionStrategy.COVERED_STOCK, COVERED)])
def test_legs_round_trip(editor: LegsEditor, strategy: OptionStrategy,
                         template: tuple[LegDraft, ...]) -> None:
    editor.set_strategy(strategy, template)
    assert editor.count() == len(template)
    assert editor.strategy() == strategy
    assert editor.legs() == template
    assert all(isinstance(leg.side, Side) for leg in editor.legs())  # enums, not Qt's str
    assert all(leg.option_type is None or isinstance(leg.option_type, OptionType)
               for leg in editor.legs())
    editor.set_legs(tuple(reversed(template)) if strategy != OptionStrategy.COVERED_STOCK
                    else template)
    assert editor.legs() == (tuple(reversed(template))
                             if strategy != OptionStrategy.COVERED_STOCK else template)


def test_stock_is_offered_only_for_the_first_leg_of_covered_stock_and_collar(
        editor: LegsEditor) -> None:
    def kinds(index: int) -> list[str]:
        combo = editor.row_widgets(index).kind
        return [combo.itemText(i) for i in range(combo.count())]

    editor.set_strategy(OptionStrategy.VERTICAL, VERTICAL)
    assert kinds(0) == kinds(1) == ["Call", "Put"]
    collar = (LegDraft(Side.BUY, None), LegDraft(Side.BUY, OptionType.PUT, Decimal(220), DEC18),
              LegDraft(Side.SELL, OptionType.CALL, Decimal(250), DEC18))
    editor.set_strategy(OptionStrategy.COLLAR_WITH_STOCK, collar)
    assert kinds(0) == ["Call", "Put", "Stock"] and kinds(1) == kinds(2) == ["Call", "Put"]
    row = editor.row_widgets(0)
    assert not row.strike.isEnabled() and not row.expiry.isEnabled()
    assert not row.chain.isEnabled()
    assert editor.legs()[0] == LegDraft(Side.BUY, None, None, None, 1)
    assert editor.leg_texts()[0] == ""
    row.kind.setCurrentIndex(0)  # the trader turns the stock leg into a call
    assert row.strike.isEnabled() and row.chain.isEnabled()
    assert editor.legs()[0].option_type == OptionType.CALL


def test_strike_text_is_kept_as_typed_and_parsed_strictly(editor: LegsEditor,
                                                           qtbot: Any) -> None:
    editor.set_strategy(OptionStrategy.VERTICAL, VERTICAL)
    strike = editor.row_widgets(0).strike
    strike.clear()
    qtbot.keyClicks(strike, "1,232.50")
    assert editor.leg_texts() == ("1,232.50", "240")
    assert editor.legs()[0].strike == Decimal("1232.50")
    strike.clear()
    qtbot.keyClicks(strike, "23o")
    assert editor.leg_texts()[0] == "23o"  # never reformatted under the cursor
    assert editor.legs()[0].strike is None  # the ticket puts the message next to the leg
    strike.clear()
    assert editor.legs()[0].strike is None


def test_the_users_number_format_is_used(qtbot: Any) -> None:
    editor = LegsEditor(fmt=NumberFormat(",", "."), today=TODAY)
    qtbot.addWidget(editor)
    editor.set_strategy(OptionStrategy.SINGLE, (LegDraft(Side.BUY, OptionType.CALL,
                                                          Decimal("232.5"), NOV20),))
    assert editor.leg_texts() == ("232,5",)
    editor.row_widgets(0).strike.setText("1.232,75")
    assert editor.legs()[0].strike == Decimal("1232.75")


def test_every_edit_fires_changed_once(editor: LegsEditor, qtbot: Any) -> None:
    editor.set_strategy(OptionStrategy.VERTICAL, VERTICAL)
    seen = count_changes(editor)
    row = editor.row_widgets(1)
    row.side.setCurrentIndex(0)
    assert len(seen) == 1
    row.kind.setCurrentIndex(1)
    assert len(seen) == 2
    qtbot.keyClicks(row.strike, "5")
    assert len(seen) == 3
    row.ratio.setValue(3)
    assert len(seen) == 4
    row.expiry.date_edit.setDate(QDate(2026, 12, 18))
    assert len(seen) == 5
    assert editor.legs()[1] == LegDraft(Side.BUY, OptionType.PUT, Decimal(2405), DEC18, 3)
    editor.set_legs(VERTICAL)  # filling the rows: one change, not one per widget
    assert len(seen) == 6


def test_ratio_is_one_to_ten(editor: LegsEditor) -> None:
    editor.set_strategy(OptionStrategy.BUTTERFLY, BUTTERFLY)
    spin = editor.row_widgets(1).ratio
    assert (spin.minimum(), spin.maximum(), spin.value()) == (1, MAX_RATIO, 2)
    editor.set_legs((*BUTTERFLY[:2], LegDraft(Side.BUY, OptionType.PUT, Decimal(240), DEC18,
                                              25)))
    assert editor.legs()[2].ratio == MAX_RATIO


def test_chain_button_asks_for_that_leg(editor: LegsEditor, qtbot: Any) -> None:
    editor.set_strategy(OptionStrategy.BUTTERFLY, BUTTERFLY)
    with qtbot.waitSignal(editor.chain_requested) as asked:
        qtbot.mouseClick(editor.row_widgets(2).chain, Qt.MouseButton.LeftButton)
    assert asked.args == [2]


def test_a_pick_fills_type_strike_and_expiry(editor: LegsEditor) -> None:
    editor.set_strategy(OptionStrategy.VERTICAL, VERTICAL)
    editor.set_leg_error(1, "Strike: enter a number")
    seen = count_changes(editor)
    contract = OptionContract.model_validate({
        "instrument_id": "1", "symbol": "AAPL261218P00227500", "strike_price": "227.5",
        "option_type": "PUT", "expiration_date": "2026-12-18"})
    editor.set_leg_from_pick(1, LegPick(DEC18, Decimal("227.5"), OptionType.PUT, contract))
    assert editor.legs()[1] == LegDraft(Side.SELL, OptionType.PUT, Decimal("227.5"), DEC18)
    assert editor.leg_texts()[1] == "227.5"
    assert editor.leg_error(1) == ""  # the picked leg's old message is gone
    assert len(seen) == 1
    with pytest.raises(IndexError):
        editor.set_leg_from_pick(5, LegPick(DEC18, Decimal(1), OptionType.PUT, contract))


def test_known_expirations_become_a_list(editor: LegsEditor) -> None:
    editor.set_strategy(OptionStrategy.CALENDAR, (
        LegDraft(Side.SELL, OptionType.CALL, Decimal(230), NOV20),
        LegDraft(Side.BUY, OptionType.CALL, Decimal(230), date(2027, 1, 15))))
    editor.set_expirations((NOV20, DEC18))
    first, second = editor.row_widgets(0).expiry, editor.row_widgets(1).expiry
    assert first.currentWidget() is first.combo
    assert [first.combo.itemText(i) for i in range(first.combo.count())] == [
        "2026-11-20 · 18 d", "2026-12-18 · 46 d"]
    assert editor.legs()[0].expiry == NOV20
    assert second.combo.currentText() == "2027-01-15 (not listed)"  # kept, flagged
    assert editor.legs()[1].expiry == date(2027, 1, 15)
    second.combo.setCurrentIndex(1)
    assert editor.legs()[1].expiry == DEC18
    editor.set_expirations(())  # back to typing a date, keeping the value
    assert second.currentWidget() is second.date_edit and editor.legs()[1].expiry == DEC18


def test_no_expiry_yet_is_none(editor: LegsEditor) -> None:
    editor.set_strategy(OptionStrategy.SINGLE, (LegDraft(Side.BUY, OptionType.CALL),))
    assert editor.legs() == (LegDraft(Side.BUY, OptionType.CALL, None, None, 1),)
    assert editor.row_widgets(0).expiry.date_edit.text() == "—"


def test_messages_next_to_a_leg_and_below_the_legs(editor: LegsEditor) -> None:
    editor.set_strategy(OptionStrategy.VERTICAL, VERTICAL)
    editor.set_leg_error(0, "Strike: “23o” is not a number (for example 1,234.50)")
    editor.set_error("Both legs of a vertical need the same expiration.")
    assert editor.leg_error(0).startswith("Strike:") and editor.leg_error(1) == ""
    assert editor.row_widgets(0).error.isVisibleTo(editor)
    assert editor.error_text() == "Both legs of a vertical need the same expiration."
    assert editor.row_widgets(0).error.objectName() == "fieldError"
    editor.clear_errors()
    assert editor.leg_error(0) == "" and editor.error_text() == ""
    assert not editor.row_widgets(0).error.isVisibleTo(editor)


def test_legs_from_a_simulator_chain(editor: LegsEditor, qtbot: Any,
                                     loop: asyncio.AbstractEventLoop,
                                     sim_instruments: SimInstruments) -> None:  # noqa: F811
    chain = run(loop, qtbot, sim_instruments.option_chain("AAPL"), timeout_ms=20_000)
    expiry = chain.expirations[1]
    rows = chain.rows[expiry]
    low, high = rows[len(rows) // 2], rows[len(rows) // 2 + 1]
    editor.set_strategy(OptionStrategy.VERTICAL, (LegDraft(Side.BUY, OptionType.CALL),
                                                  LegDraft(Side.SELL, OptionType.CALL)))
    editor.set_expirations(chain.expirations)
    for index, row in enumerate((low, high)):
        assert row.call is not None
        editor.set_leg_from_pick(index, LegPick(expiry, row.strike, OptionType.CALL, row.call))
    assert editor.legs() == (LegDraft(Side.BUY, OptionType.CALL, low.strike, expiry),
                             LegDraft(Side.SELL, OptionType.CALL, high.strike, expiry))
    combo = editor.row_widgets(0).expiry.combo
    assert combo.count() == len(chain.expirations)
    assert "(not listed)" not in combo.currentText()
