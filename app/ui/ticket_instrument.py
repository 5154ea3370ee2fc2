"""The ticket's instrument area (issue 5): what is being traded, and what Pennant knows about it.

Per class: a symbol search (stocks, crypto, an option's underlying), a futures product then its
contract month, an event search then the market of that event, and for options the strategy
with its legs (each leg can be picked from the chain). Once an instrument is chosen the
catalogue's facts are shown: its rules (lot, price step, fractional, shortable, limits) and its
last price with where that price comes from — which may honestly be "no quote".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from app.core.catalogue import FUTURES_PRODUCTS, Catalogue, CatalogueError, OptionChain
from app.core.catalogue_search import CONTRACT_SYMBOL
from app.core.ticket import InstrumentInfo, TicketDraft, strategy_template
from app.core.ticket_input import NumberFormat
from app.webull.models import (
    EventMarket,
    FuturesContract,
    InstrumentType,
    OptionStrategy,
)

from .cancel_dialogs import spawn_for
from .instrument_pickers import EventMarketCombo, FuturesMonthCombo
from .legs_editor import LegsEditor
from .option_chain import OptionChainPicker
from .symbol_search import SymbolSearch
from .ticket_form import LABEL_WIDTH
from .ticket_info import event_of, last_text, rules_text, title_words
from .ticket_legs import OptionLegs

log = logging.getLogger(__name__)
_SEARCH_LABELS = {InstrumentType.EQUITY: "Symbol", InstrumentType.CRYPTO: "Pair",
                  InstrumentType.OPTION: "Underlying", InstrumentType.EVENT: "Event"}
_PLACEHOLDERS = {InstrumentType.EQUITY: "AAPL, SPY… or a company name",
                 InstrumentType.CRYPTO: "BTCUSD, ETHUSD…",
                 InstrumentType.OPTION: "The underlying stock: AAPL, TSLA…",
                 InstrumentType.EVENT: "Fed decision, CPI…"}


class InstrumentArea(OptionLegs, QWidget):
    """Picks the instrument; ``changed`` whenever the symbol, its facts or the legs change."""

    changed = Signal()

    def __init__(self, catalogue: Catalogue, number_format: NumberFormat,
                 parent: QWidget | None = None, *, today: date | None = None) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        self.fmt = number_format
        self.kind = InstrumentType.EQUITY
        self.info: InstrumentInfo | None = None
        self.chain: OptionChain | None = None
        self.lookup_error = ""
        self.loading = ""  # what is being looked up ("" when nothing is)
        self.chain_picker: OptionChainPicker | None = None
        self._generation = 0  # bumped per new instrument: older answers are dropped
        self._wanted = ""  # the contract or market to select once its list arrives
        self._filling = False
        self.search = SymbolSearch(catalogue.search)
        self.search.chosen.connect(self._chosen)
        #: the search's text field (the contract gives no "edited" signal of its own)
        self.search_edit: QLineEdit = getattr(self.search, "edit", None) or \
            self.search.findChild(QLineEdit)
        self.search_edit.textEdited.connect(self._typed)
        self.search_kinds: tuple[InstrumentType, ...] = ()
        self.product = QComboBox()
        self.product.setPlaceholderText("Choose a futures product")
        for code, name in FUTURES_PRODUCTS.items():
            self.product.addItem(f"{code} · {name}", code)
        self.product.setCurrentIndex(-1)
        self.product.currentIndexChanged.connect(self._product_chosen)
        self.month = FuturesMonthCombo()
        self.month.current_changed.connect(self._month_chosen)
        self.market = EventMarketCombo()
        self.market.current_changed.connect(self._market_chosen)
        self.strategy = QComboBox()
        self.strategy.currentIndexChanged.connect(self._strategy_chosen)
        self.legs = LegsEditor(fmt=number_format, today=today)
        self.legs.changed.connect(self.changed)
        self.legs.chain_requested.connect(self.open_chain)
        self.symbol_error = self._error()
        self.about = QLabel()
        self.about.setObjectName("headlineLabel")
        self.about.setWordWrap(True)
        self.last = QLabel()
        self.last.setWordWrap(True)
        self.rules = QLabel()
        self.rules.setObjectName("dataAge")
        self.rules.setWordWrap(True)
        for label in (self.about, self.last, self.rules):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._layout()

    @staticmethod
    def _error() -> QLabel:
        label = QLabel()
        label.setObjectName("fieldError")
        label.setWordWrap(True)
        label.hide()
        return label

    def _layout(self) -> None:
        """Pickers first, then what Pennant knows of the instrument, then (options) the legs."""
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(3)
        grid.setColumnMinimumWidth(0, LABEL_WIDTH)
        grid.setColumnStretch(1, 1)
        self.search_label = QLabel("Symbol")
        self.search_label.setBuddy(self.search)
        self.product_label = QLabel("Product")
        self.month_label = QLabel("Month")
        self.market_label = QLabel("Market")
        self.strategy_label = QLabel("Strategy")
        rows: list[tuple[QLabel | None, QWidget]] = [
            (self.search_label, self.search), (self.product_label, self.product),
            (self.month_label, self.month), (self.market_label, self.market),
            (None, self.symbol_error), (None, self.about), (None, self.last), (None, self.rules),
            (self.strategy_label, self.strategy)]
        for r, (label, widget) in enumerate(rows):
            if label is not None:
                label.setBuddy(widget)
                grid.addWidget(label, r, 0)
                grid.addWidget(widget, r, 1)
            else:
                grid.addWidget(widget, r, 0, 1, 2)
        grid.addWidget(self.legs, len(rows), 0, 1, 2)

    # ------------------------------------------------------------------ class and values
    def set_kind(self, kind: InstrumentType) -> None:
        """Show the pickers of one instrument class (the chosen instrument is forgotten)."""
        if kind is self.kind and self.search_kinds == (kind,):
            return
        self.kind = kind
        self._forget()
        self.search.set_text("")
        self.search_kinds = (kind,)
        self.search.set_instruments(self.search_kinds)
        self.product.setCurrentIndex(-1)
        self.month.set_contracts(())
        self.market.set_markets(())
        if kind is InstrumentType.OPTION:
            self._fill_strategies()
            self.legs.set_strategy(OptionStrategy.SINGLE,
                                   strategy_template(OptionStrategy.SINGLE, expiry=None,
                                                     strike=None, step=None))
        self._show_rows()
        self.changed.emit()

    def _show_rows(self) -> None:
        kind = self.kind
        searching = kind in _SEARCH_LABELS
        self.search_label.setVisible(searching)
        self.search.setVisible(searching)
        self.search_label.setText(_SEARCH_LABELS.get(kind, "Symbol"))
        self.search_edit.setPlaceholderText(_PLACEHOLDERS.get(kind, ""))
        futures = kind is InstrumentType.FUTURES
        for widget in (self.product_label, self.product, self.month_label, self.month):
            widget.setVisible(futures)
        events = kind is InstrumentType.EVENT
        self.market_label.setVisible(events)
        self.market.setVisible(events)
        options = kind is InstrumentType.OPTION
        for widget in (self.strategy_label, self.strategy, self.legs):
            widget.setVisible(options)
        self._show_info()

    def symbol(self) -> str:
        """The draft's symbol: the contract, the market, or what the search field holds."""
        if self.kind is InstrumentType.FUTURES:
            contract = self.month.current_contract()
            return contract.symbol if contract is not None else ""
        if self.kind is InstrumentType.EVENT:
            market = self.market.current_market()
            return market.symbol if market is not None else self.search.text().strip()
        return self.search.text().strip()

    def load(self, draft: TicketDraft) -> None:
        """Prefill from a draft (close a position, a screenshot) and look the instrument up."""
        self.set_kind(draft.instrument)
        symbol = draft.symbol.strip().upper()
        if draft.instrument is InstrumentType.OPTION:
            self.load_legs(draft.strategy, draft.legs)
        if not symbol:
            return
        if draft.instrument is InstrumentType.FUTURES:
            found = CONTRACT_SYMBOL.fullmatch(symbol)
            code = found.group(1) if found else symbol
            if self.product.findData(code) < 0:
                self.product.addItem(code, code)
            self._wanted = symbol
            self.product.setCurrentIndex(self.product.findData(code))
            return
        if draft.instrument is InstrumentType.EVENT:
            self.search.set_text(event_of(symbol))  # the event; its market in the list below
            self._load_markets(symbol)
            return
        self.search.set_text(symbol)
        self.lookup(symbol)

    # ------------------------------------------------------------------ choosing
    def _forget(self) -> None:
        self._generation += 1
        self.loading = ""
        self.info = None
        self.chain = None
        self.lookup_error = ""
        self._wanted = ""

    def _typed(self, text: str) -> None:
        if self.info is not None and text.strip().upper() != self.info.symbol:
            self._forget()
            if self.kind is InstrumentType.EVENT:
                self.market.set_markets(())
        self._show_info()
        self.changed.emit()

    def _chosen(self, hit: object) -> None:
        symbol = str(getattr(hit, "symbol", ""))
        if self.kind is InstrumentType.EVENT:
            # the field names the event; the market picked stays chosen in the market list,
            # where the trader may pick another market of the same event
            self.search.set_text(event_of(symbol))
            self._load_markets(symbol)
        else:
            self.lookup(symbol)

    def lookup(self, symbol: str) -> None:
        """Ask the catalogue for the instrument's facts (and an option chain's expirations)."""
        self._forget()
        generation = self._generation
        self.loading = f"Looking up {symbol}…"
        self.about.setText(self.loading)
        self._show_info(loading=True)
        self.changed.emit()
        spawn_for(self, self.catalogue.info(self.kind, symbol),
                  lambda info, error: self._looked_up(generation, info, error))
        if self.kind is InstrumentType.OPTION:
            spawn_for(self, self.catalogue.option_chain(symbol),
                      lambda chain, error: self._chain_loaded(generation, chain, error))

    def _looked_up(self, generation: int, info: InstrumentInfo | None,
                   error: BaseException | None) -> None:
        if generation != self._generation:
            return
        self.loading = ""
        if error is not None or info is None:
            self.lookup_error = self._failure(error)
        else:
            self.info = info
        self._show_info()
        self.changed.emit()

    @staticmethod
    def _failure(error: BaseException | None) -> str:
        if isinstance(error, CatalogueError):
            return error.message
        log.error("instrument lookup failed", exc_info=error)
        return f"The instrument could not be looked up ({type(error).__name__}); try again."

    def _product_chosen(self, _index: int) -> None:
        code = self.product.currentData()
        wanted = self._wanted
        self._forget()
        self._wanted = wanted
        self.month.set_contracts(())
        self.changed.emit()
        if not code:
            return
        generation = self._generation
        self.loading = f"Loading the contract months of {code}…"
        self.about.setText(self.loading)
        self._show_info(loading=True)
        spawn_for(self, self.catalogue.futures_months(str(code)),
                  lambda months, error: self._months(generation, months, error))

    def _months(self, generation: int, months: tuple[FuturesContract, ...] | None,
                error: BaseException | None) -> None:
        if generation != self._generation:
            return
        self.loading = ""
        if error is not None or months is None:
            self.lookup_error = self._failure(error)
            self._show_info()
            self.changed.emit()
            return
        wanted, self._wanted = self._wanted, ""
        self.month.blockSignals(True)  # one lookup, of the month finally chosen
        self.month.set_contracts(months)
        if wanted:
            self.month.select_symbol(wanted)
        self.month.blockSignals(False)
        if not months:
            self.about.setText("")
            self.lookup_error = "Webull lists no tradable contract months for this product."
            self._show_info()
        self._month_chosen(self.month.current_contract())

    def _month_chosen(self, contract: FuturesContract | None) -> None:
        if contract is not None:
            self.lookup(contract.symbol)
        else:
            self.changed.emit()

    def _load_markets(self, symbol: str) -> None:
        self._forget()
        self._wanted = symbol
        generation = self._generation
        self.loading = f"Loading the markets of {event_of(symbol)}…"
        self.about.setText(self.loading)
        self._show_info(loading=True)
        self.changed.emit()
        spawn_for(self, self.catalogue.event_markets(event_of(symbol)),
                  lambda markets, error: self._markets(generation, markets, error))

    def _markets(self, generation: int, markets: tuple[EventMarket, ...] | None,
                 error: BaseException | None) -> None:
        if generation != self._generation:
            return
        self.loading = ""
        if error is not None or markets is None:
            self.lookup_error = self._failure(error)
            self._show_info()
            self.changed.emit()
            return
        wanted, self._wanted = self._wanted, ""
        self.market.blockSignals(True)
        self.market.set_markets(markets)
        if wanted:
            self.market.select_symbol(wanted)
        self.market.blockSignals(False)
        self._market_chosen(self.market.current_market())

    def _market_chosen(self, market: EventMarket | None) -> None:
        if market is not None:
            self.lookup(market.symbol)
        else:
            self.changed.emit()

    # ------------------------------------------------------------------ showing
    def _show_info(self, *, loading: bool = False) -> None:
        info = self.info
        if loading:
            self.last.hide()
            self.rules.hide()
            self.about.show()
            self.symbol_error.hide()
            return
        if self.lookup_error:
            self.symbol_error.setText(self.lookup_error)
            self.symbol_error.show()
        if info is None:
            self.about.setText("")
            self.about.hide()
            self.last.hide()
            self.rules.hide()
            return
        self.about.setText(title_words(info))
        self.last.setText(last_text(info))
        rules = rules_text(info)
        if not info.tradable:
            rules += f"\nNot tradable: {info.why_not_tradable}"
        self.rules.setText(rules)
        for label in (self.about, self.last, self.rules):
            label.show()

    def set_errors(self, errors: Mapping[str, str], shown: bool) -> None:
        """The symbol's and the legs' messages (the lookup's own failure comes first)."""
        # "look it up first" waits while the trader is still choosing from the search list
        choosing = self.loading or self.search.popup_visible()
        said = errors.get("symbol") or ("" if choosing else errors.get("instrument", ""))
        symbol = self.lookup_error or (said if shown else "")
        self.symbol_error.setText(symbol)
        self.symbol_error.setVisible(bool(symbol))
        if self.kind is InstrumentType.OPTION:
            self.show_leg_errors(errors, shown)

    def symbol_error_text(self) -> str:
        return self.symbol_error.text() if not self.symbol_error.isHidden() else ""

