"""SymbolSearch: debounced search, stale answers dropped, keyboard and mouse picking, the
field's text left as typed, and every state of the list in words."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from app.core.catalogue import CatalogueError, SearchHit
from app.ui.symbol_search import SEARCH_DELAY_MS, HitsModel, SymbolSearch
from app.webull.models import InstrumentType

from .support import run
from .test_instrument_pickers import SimInstruments, sim_instruments  # noqa: F401 - fixture

AAPL = SearchHit(InstrumentType.EQUITY, "AAPL", "Apple Inc.", "Stock · NSQ")
AAPU = SearchHit(InstrumentType.EQUITY, "AAPU", "Direxion Daily AAPL Bull 2X", "ETF · NSQ")
AAP = SearchHit(InstrumentType.EQUITY, "AAP", "Advance Auto Parts", "Stock · NYSE")
HITS = [AAPL, AAPU, AAP]


class FakeSearch:
    """Answers each search only when the test says so (or at once, from ``auto``)."""

    def __init__(self, auto: dict[str, list[SearchHit]] | None = None) -> None:
        self.auto = auto
        self.calls: list[tuple[str, tuple[InstrumentType, ...]]] = []
        self.called_at: list[float] = []
        self.futures: list[asyncio.Future[list[SearchHit]]] = []

    async def __call__(self, text: str, types: Any) -> list[SearchHit]:
        self.calls.append((text, tuple(types)))
        self.called_at.append(time.monotonic())
        if self.auto is not None:
            return list(self.auto.get(text.upper(), []))
        future: asyncio.Future[list[SearchHit]] = asyncio.get_running_loop().create_future()
        self.futures.append(future)
        return await future


@pytest.fixture
def make(qtbot: Any, loop: asyncio.AbstractEventLoop) -> Iterator[Any]:
    windows: list[QWidget] = []  # qtbot holds widgets weakly

    def build(search: Any) -> SymbolSearch:
        window = QWidget()  # the list floats inside the field's window: give it room
        windows.append(window)
        qtbot.addWidget(window)
        widget = SymbolSearch(search)
        layout = QVBoxLayout(window)
        layout.addWidget(widget)
        layout.addStretch(1)
        window.resize(480, 320)
        window.show()
        widget.edit.setFocus()
        return widget

    yield build


def rows(widget: SymbolSearch) -> list[str]:
    return [h.symbol for h in widget.hits()]


def test_typing_searches_once_after_a_pause_and_keeps_the_text(make: Any, qtbot: Any) -> None:
    search = FakeSearch(auto={"AAP": HITS})
    widget = make(search)
    qtbot.keyClicks(widget.edit, "aap")
    typed_at = time.monotonic()
    assert search.calls == []  # nothing sent while typing
    qtbot.waitUntil(lambda: widget.popup_visible() and rows(widget) == ["AAPL", "AAPU", "AAP"])
    assert search.calls == [("aap", (InstrumentType.EQUITY,))]  # one search for three keys
    assert search.called_at[0] - typed_at >= SEARCH_DELAY_MS / 1000 - 0.02
    assert widget.text() == "aap"  # never replaced while typing…
    assert widget.edit.font().capitalization() == QFont.Capitalization.AllUppercase  # …shown
    assert widget.status_text() == ""
    assert widget.current_hit() == AAP  # the exact symbol is highlighted, wherever it is
    assert widget.popup.parentWidget() is widget.window()
    assert widget.popup.geometry().top() >= widget.edit.mapTo(widget.window(),
                                                              widget.edit.rect().bottomLeft()).y()


def test_keyboard_down_up_enter_picks_the_highlighted_row(make: Any, qtbot: Any) -> None:
    widget = make(FakeSearch(auto={"AA": HITS}))
    qtbot.keyClicks(widget.edit, "aa")
    qtbot.waitUntil(lambda: len(widget.hits()) == 3)
    qtbot.keyClick(widget.edit, Qt.Key.Key_Down)
    assert widget.current_hit() == AAPL
    qtbot.keyClick(widget.edit, Qt.Key.Key_Down)
    qtbot.keyClick(widget.edit, Qt.Key.Key_Down)
    qtbot.keyClick(widget.edit, Qt.Key.Key_Down)  # stops at the last row
    assert widget.current_hit() == AAP
    qtbot.keyClick(widget.edit, Qt.Key.Key_Up)
    assert widget.current_hit() == AAPU
    with qtbot.waitSignal(widget.chosen) as chosen:
        qtbot.keyClick(widget.edit, Qt.Key.Key_Return)
    assert chosen.args == [AAPU]
    assert widget.text() == "AAPU"
    assert not widget.popup_visible()


def test_escape_closes_the_list_without_choosing(make: Any, qtbot: Any) -> None:
    widget = make(FakeSearch(auto={"AA": HITS}))
    picked: list[Any] = []
    widget.chosen.connect(picked.append)
    qtbot.keyClicks(widget.edit, "aa")
    qtbot.waitUntil(lambda: widget.popup_visible() and len(rows(widget)) == 3)
    qtbot.keyClick(widget.edit, Qt.Key.Key_Down)
    qtbot.keyClick(widget.edit, Qt.Key.Key_Escape)
    assert not widget.popup_visible()
    assert picked == [] and widget.text() == "aa"
    qtbot.keyClick(widget.edit, Qt.Key.Key_Down)  # Down brings the list back
    assert widget.popup_visible()


def test_enter_on_an_exact_symbol_before_the_answer_chooses_it(make: Any, qtbot: Any) -> None:
    search = FakeSearch()
    widget = make(search)
    qtbot.keyClicks(widget.edit, "aapl")
    assert widget._timer.isActive()
    with qtbot.waitSignal(widget.chosen) as chosen:
        qtbot.keyClick(widget.edit, Qt.Key.Key_Enter)
        assert not widget._timer.isActive()  # the typing pause is skipped
        qtbot.waitUntil(lambda: bool(search.futures))
        assert search.calls == [("aapl", (InstrumentType.EQUITY,))]
        search.futures[0].set_result([AAPU, AAPL])
    assert chosen.args == [AAPL]
    assert widget.text() == "AAPL"


def test_enter_after_the_answer_picks_the_exact_symbol(make: Any, qtbot: Any) -> None:
    widget = make(FakeSearch(auto={"AAPL": [AAPL, AAPU]}))
    qtbot.keyClicks(widget.edit, "AAPL")
    qtbot.waitUntil(lambda: widget.current_hit() == AAPL)  # the exact match is highlighted
    with qtbot.waitSignal(widget.chosen) as chosen:
        qtbot.keyClick(widget.edit, Qt.Key.Key_Return)
    assert chosen.args == [AAPL]


def test_enter_without_an_exact_match_chooses_nothing(make: Any, qtbot: Any) -> None:
    widget = make(FakeSearch(auto={"AA": HITS}))
    picked: list[Any] = []
    widget.chosen.connect(picked.append)
    qtbot.keyClicks(widget.edit, "aa")
    qtbot.waitUntil(lambda: len(widget.hits()) == 3)
    qtbot.keyClick(widget.edit, Qt.Key.Key_Return)
    assert picked == [] and widget.popup_visible() and widget.text() == "aa"


def test_a_new_text_cancels_the_older_search(make: Any, qtbot: Any) -> None:
    search = FakeSearch()
    widget = make(search)
    qtbot.keyClicks(widget.edit, "a")
    qtbot.waitUntil(lambda: len(search.calls) == 1)
    assert widget.status_text() == "Searching…"
    qtbot.keyClicks(widget.edit, "ap")
    qtbot.waitUntil(lambda: search.futures[0].cancelled())
    qtbot.waitUntil(lambda: len(search.calls) == 2)
    search.futures[1].set_result([AAPL])
    qtbot.waitUntil(lambda: rows(widget) == ["AAPL"])
    assert search.calls[1][0] == "aap"


def test_an_answer_for_an_older_text_is_dropped(make: Any, qtbot: Any,
                                                loop: asyncio.AbstractEventLoop) -> None:
    """Even a search that ignores cancellation cannot put its stale answer on screen."""
    stubborn: list[asyncio.Future[None]] = []
    finished: list[str] = []

    async def search(text: str, types: Any) -> list[SearchHit]:
        if text == "t":
            gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            stubborn.append(gate)
            try:
                await asyncio.shield(gate)
            except asyncio.CancelledError:
                await gate  # finishes anyway, after the newer answer arrived
            finished.append(text)
            return [SearchHit(InstrumentType.EQUITY, "T", "AT&T", "Stock · NYSE")]
        return [SearchHit(InstrumentType.EQUITY, "TSLA", "Tesla", "Stock · NSQ")]

    widget = make(search)
    qtbot.keyClicks(widget.edit, "t")
    qtbot.waitUntil(lambda: len(stubborn) == 1)
    qtbot.keyClicks(widget.edit, "sla")
    qtbot.waitUntil(lambda: rows(widget) == ["TSLA"])
    stubborn[0].set_result(None)
    qtbot.waitUntil(lambda: bool(finished))
    run(loop, qtbot, _ticks())  # the stale task's done-callback has run by now
    assert rows(widget) == ["TSLA"]


async def _ticks() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


def test_an_answer_after_the_trader_moved_on_does_not_pop_up(make: Any, qtbot: Any) -> None:
    search = FakeSearch()
    widget = make(search)
    other = QLineEdit(widget.window())
    other.show()
    qtbot.keyClicks(widget.edit, "aa")
    qtbot.waitUntil(lambda: bool(search.futures))
    other.setFocus()
    qtbot.waitUntil(lambda: not widget.popup_visible())
    search.futures[0].set_result(HITS)
    qtbot.waitUntil(lambda: len(widget.hits()) == 3)
    assert not widget.popup_visible()
    widget.edit.setFocus()
    qtbot.keyClick(widget.edit, Qt.Key.Key_Down)
    assert widget.popup_visible()


def test_no_match_says_so_in_capitals(make: Any, qtbot: Any) -> None:
    widget = make(FakeSearch(auto={}))
    qtbot.keyClicks(widget.edit, "xyz")
    qtbot.waitUntil(lambda: widget.status_text() == "No instrument matches ‘XYZ’")
    assert widget.popup_visible() and widget.hits() == []


def test_errors_are_shown_in_words(make: Any, qtbot: Any) -> None:
    async def failing(text: str, types: Any) -> list[SearchHit]:
        raise CatalogueError("The list of stocks and ETFs could not be read: Webull answered "
                             "with a server error (503). Try again in a moment.")

    widget = make(failing)
    qtbot.keyClicks(widget.edit, "msft")
    qtbot.waitUntil(lambda: "server error (503)" in widget.status_text())
    assert widget.popup.status.objectName() == "fieldError"


def test_an_unexpected_failure_is_still_a_sentence(make: Any, qtbot: Any) -> None:
    async def broken(text: str, types: Any) -> list[SearchHit]:
        raise RuntimeError("boom")

    widget = make(broken)
    qtbot.keyClicks(widget.edit, "msft")
    qtbot.waitUntil(lambda: widget.status_text().startswith("Search failed (RuntimeError)"))


def test_a_look_alike_letter_is_named_and_not_searched(make: Any, qtbot: Any) -> None:
    search = FakeSearch(auto={})
    widget = make(search)
    for char in "\u0410APL":  # a Cyrillic capital A first (QTest cannot type it)
        QApplication.sendEvent(widget.edit, QKeyEvent(QKeyEvent.Type.KeyPress, Qt.Key.Key_unknown,
                                                      Qt.KeyboardModifier.NoModifier, char))
    assert widget.text() == "\u0410APL"
    qtbot.waitUntil(lambda: "CYRILLIC" in widget.status_text())
    assert search.calls == []


def test_clearing_the_field_hides_the_list(make: Any, qtbot: Any) -> None:
    search = FakeSearch(auto={"A": HITS})
    widget = make(search)
    qtbot.keyClicks(widget.edit, "a")
    qtbot.waitUntil(widget.popup_visible)
    qtbot.keyClick(widget.edit, Qt.Key.Key_Backspace)
    assert not widget.popup_visible() and widget.hits() == []
    assert not widget._timer.isActive()


def test_set_text_fills_without_searching(make: Any) -> None:
    search = FakeSearch(auto={})
    widget = make(search)
    widget.set_text("MSFT")
    assert widget.text() == "MSFT"
    assert not widget._timer.isActive() and search.calls == []


def test_instrument_classes_are_passed_to_the_search(make: Any, qtbot: Any) -> None:
    search = FakeSearch(auto={"BTC": []})
    widget = make(search)
    widget.set_instruments([InstrumentType.CRYPTO])
    assert "crypto" in widget.edit.placeholderText()
    qtbot.keyClicks(widget.edit, "btc")
    qtbot.waitUntil(lambda: bool(search.calls))
    assert search.calls == [("btc", (InstrumentType.CRYPTO,))]


def test_clicking_a_row_chooses_it(make: Any, qtbot: Any) -> None:
    widget = make(FakeSearch(auto={"AA": HITS}))
    qtbot.keyClicks(widget.edit, "aa")
    qtbot.waitUntil(lambda: len(widget.hits()) == 3)
    view = widget.popup.view
    rect = view.visualRect(widget.model.index(2, 1))
    with qtbot.waitSignal(widget.chosen) as chosen:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert chosen.args == [AAP]


def test_hits_model_passes_the_model_tester(qtmodeltester: Any) -> None:
    model = HitsModel()
    qtmodeltester.check(model)
    model.set_hits(HITS)
    qtmodeltester.check(model)
    index = model.index(0, 0)
    assert model.data(index) == "AAPL"
    assert model.data(model.index(0, 2)) == "Stock · NSQ"
    assert model.data(index, Qt.ItemDataRole.FontRole).fixedPitch()
    assert model.data(index, HitsModel.HIT_ROLE) == AAPL
    model.set_hits([])
    qtmodeltester.check(model)


def test_search_against_the_simulator(make: Any, qtbot: Any,
                                      sim_instruments: SimInstruments) -> None:  # noqa: F811
    widget = make(sim_instruments.search)
    qtbot.keyClicks(widget.edit, "aapl")
    with qtbot.waitSignal(widget.chosen, timeout=15_000) as chosen:
        qtbot.keyClick(widget.edit, Qt.Key.Key_Return)
    hit = chosen.args[0]
    assert hit.symbol == "AAPL" and hit.instrument == InstrumentType.EQUITY
    assert "apple" in hit.name.lower()
