"""The account switcher and the balances panel, with the fields that make sense per account class."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QVBoxLayout, QWidget

from app.core.portfolio import account_label
from app.webull.models import Account, AccountClass, Balance, CurrencyAssets

from . import fmt
from .freshness import PanelHeader
from .palette import sign_color

Getter = Callable[[Balance, CurrencyAssets | None], object]


@dataclass(frozen=True)
class Field:
    label: str
    get: Getter
    signed: bool = False
    tooltip: str = ""


def _total(name: str) -> Getter:
    return lambda b, a: getattr(b, name)


def _asset(name: str) -> Getter:
    return lambda b, a: getattr(a, name) if a is not None else None


def _buying_power(b: Balance, a: CurrencyAssets | None) -> object:
    if a is None:
        return None
    return a.buying_power if a.buying_power is not None else a.overnight_buying_power


NET_LIQ = Field("Net liquidation", _total("total_net_liquidation_value"),
                tooltip="Cash plus the market value of all positions")
CASH = Field("Cash", _total("total_cash_balance"))
SETTLED = Field("Settled cash", _asset("settled_cash"))
UNSETTLED = Field("Unsettled cash", _asset("unsettled_cash"))
WITHDRAWABLE = Field("Available to withdraw", _asset("available_withdrawal"))
BUYING_POWER = Field("Buying power", _buying_power)
DAY_BP = Field("Day buying power", _asset("day_buying_power"))
OVERNIGHT_BP = Field("Overnight buying power", _asset("overnight_buying_power"))
OPTION_BP = Field("Option buying power", _asset("option_buying_power"))
MARKET_VALUE = Field("Market value", _total("total_market_value"))
UNREALIZED = Field("Unrealized P&L", _total("total_unrealized_profit_loss"), signed=True)
DAY_PNL = Field("Day P&L", _total("total_day_profit_loss"), signed=True)
INIT_MARGIN = Field("Initial margin", _total("init_margin"))
MAINT_MARGIN = Field("Maintenance margin", _total("maintenance_margin"))
USED_MARGIN = Field("Used margin", _total("used_margin"))
OPEN_ORDER_MARGIN = Field("Margin held by open orders", _total("used_margin_for_open_order"))
MARGIN_EXCESS = Field("Margin excess", _total("margin_excess"), signed=True)
MARGIN_RATIO = Field("Margin ratio", _total("margin_ratio"),
                     tooltip="Used margin relative to net liquidation, as Webull reports it")
MARGIN_CALLS = Field("Margin calls", lambda b, a: ", ".join(c.value for c in b.open_margin_calls)
                     or "none")
DAY_TRADES = Field("Day trades left", lambda b, a: str(b.day_trades_left)
                   if b.day_trades_left is not None else None)

MARGIN_FIELDS = (NET_LIQ, CASH, MARKET_VALUE, UNREALIZED, DAY_PNL, DAY_BP, OVERNIGHT_BP,
                 OPTION_BP, SETTLED, UNSETTLED, WITHDRAWABLE, INIT_MARGIN, MAINT_MARGIN,
                 USED_MARGIN, OPEN_ORDER_MARGIN, MARGIN_EXCESS, MARGIN_RATIO, MARGIN_CALLS,
                 DAY_TRADES)
CASH_FIELDS = (NET_LIQ, CASH, MARKET_VALUE, UNREALIZED, DAY_PNL, BUYING_POWER, SETTLED, UNSETTLED,
               WITHDRAWABLE)
FUTURES_FIELDS = (NET_LIQ, CASH, MARKET_VALUE, UNREALIZED, DAY_PNL, BUYING_POWER, INIT_MARGIN,
                  MAINT_MARGIN, USED_MARGIN, OPEN_ORDER_MARGIN, MARGIN_EXCESS, MARGIN_RATIO,
                  MARGIN_CALLS)
CRYPTO_FIELDS = (NET_LIQ, CASH, MARKET_VALUE, UNREALIZED, DAY_PNL, BUYING_POWER, SETTLED,
                 UNSETTLED, WITHDRAWABLE)
EVENTS_FIELDS = (MARKET_VALUE, UNREALIZED, DAY_PNL, BUYING_POWER)


def fields_for(account: Account | None) -> Sequence[Field]:
    cls = account.account_class if account else None
    if cls in (AccountClass.INDIVIDUAL_MARGIN, AccountClass.INDIVIDUAL_MRGN,
               AccountClass.INSTITUTIONAL_MRGN):
        return MARGIN_FIELDS
    if cls in (AccountClass.FUTURES, AccountClass.FUTURES_MRGN,
               AccountClass.INSTITUTIONAL_FUTURES_MRGN):
        return FUTURES_FIELDS
    if cls is AccountClass.CRYPTO:
        return CRYPTO_FIELDS
    if cls is AccountClass.EVENTS_CASH:
        return EVENTS_FIELDS
    return CASH_FIELDS


def display(value: object, signed: bool) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return fmt.money(value, signed=signed)
    return str(value)


class AccountSwitcher(QComboBox):
    """Every account of the signed-in user, labelled by class; emits the chosen account id."""

    account_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumContentsLength(28)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setToolTip("Account shown (Ctrl+1…9)")
        self.setPlaceholderText("No accounts")
        self.currentIndexChanged.connect(self._changed)

    def set_accounts(self, accounts: Sequence[Account]) -> None:
        current = self.current_account_id()
        self.blockSignals(True)
        self.clear()
        for account in accounts:
            self.addItem(account_label(account), account.account_id)
        index = self.findData(current) if current else -1
        self.setCurrentIndex(index if index >= 0 else (0 if accounts else -1))
        self.blockSignals(False)
        if self.current_account_id() != current:
            self._changed(self.currentIndex())

    def current_account_id(self) -> str | None:
        data = self.currentData()
        return str(data) if data is not None else None

    def _changed(self, index: int) -> None:
        account_id = self.itemData(index)
        if account_id is not None:
            self.account_chosen.emit(str(account_id))


class BalancesPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = PanelHeader("Balances")
        self._grid = QGridLayout()
        self._grid.setHorizontalSpacing(16)
        self._grid.setVerticalSpacing(3)
        self._grid.setColumnStretch(0, 1)
        self._empty = QLabel("Connect to see balances.")
        self._empty.setObjectName("emptyState")
        self._empty.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.addWidget(self.header)
        layout.addWidget(self._empty)
        layout.addLayout(self._grid)
        layout.addStretch(1)
        self._values: dict[str, QLabel] = {}
        self._fields: Sequence[Field] = ()

    def show_empty(self, text: str) -> None:
        self._set_fields(())
        self._empty.setText(text)
        self._empty.show()

    def show_balance(self, account: Account | None, balance: Balance) -> None:
        fields = fields_for(account)
        if fields != self._fields:
            self._set_fields(fields)
        self._empty.hide()
        assets = balance.currency_assets(str(balance.total_asset_currency))
        for f in fields:
            value = f.get(balance, assets)
            label = self._values[f.label]
            label.setText(display(value, f.signed))
            color = sign_color(value) if f.signed and isinstance(value, Decimal) else None
            label.setStyleSheet(f"color: {color};" if color else "")

    def value_text(self, label: str) -> str:
        return self._values[label].text()

    def shown(self) -> dict[str, str]:
        """Label → text of every figure on show now; empty while the panel says why it is empty."""
        return {label: value.text() for label, value in self._values.items()}

    def _set_fields(self, fields: Sequence[Field]) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()
        self._values = {}
        self._fields = fields
        for row, f in enumerate(fields):
            name = QLabel(f.label)
            if f.tooltip:
                name.setToolTip(f.tooltip)
            value = QLabel("—")
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setObjectName("figure")
            if f is NET_LIQ:
                value.setObjectName("headlineFigure")
                name.setObjectName("headlineLabel")
            self._grid.addWidget(name, row, 0)
            self._grid.addWidget(value, row, 1)
            self._values[f.label] = value
