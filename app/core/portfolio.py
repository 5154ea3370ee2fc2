"""The latest snapshot of every account, and what changed between two polls.

The poller feeds each answer in; the portfolio keeps it and returns a keyed diff for the tables
and, for open orders, the facts the activity log needs (new orders, fills, orders that left the
open list). Diffing is O(n) per snapshot: rows are indexed by their key once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType

from app.webull.models import (
    Account,
    Balance,
    OrderGroup,
    OrderItem,
    OrderStatus,
    Position,
)

from .diff import KeyedDiff, index_by, keyed_diff, keyed_diff_sliced, snapshot_diff
from .events import Activity, ActivityKind
from .rows import OrderRow, order_rows

_EMPTY: Mapping[str, object] = MappingProxyType({})

_CLASS_NAMES = {
    "INDIVIDUAL_MARGIN": "Margin", "INDIVIDUAL_MRGN": "Margin", "INSTITUTIONAL_MRGN": "Margin",
    "INDIVIDUAL_CASH": "Cash", "INSTITUTIONAL_CASH": "Cash",
    "FUTURES": "Futures", "FUTURES_MRGN": "Futures", "INSTITUTIONAL_FUTURES_MRGN": "Futures",
    "CRYPTO": "Crypto", "EVENTS_CASH": "Events",
}


def account_label(account: Account) -> str:
    """A short name a trader recognises: the kind of account and the last digits of its number
    ("Margin ·1234"). IRA kinds only appear in Webull's label, so an IRA keeps that label."""
    label = account.account_label or ""
    if "IRA" in label.upper():
        kind = label.strip()
    else:
        kind = _CLASS_NAMES.get(account.account_class.value) or (
            label.strip() or account.account_class.value.replace("_", " ").title())
    digits = account.account_number[-4:] if account.account_number else account.account_id[-4:]
    return f"{kind} ·{digits}"


def _qty(value: Decimal | None) -> str:
    """A quantity without exponent or trailing zeros (10, 0.5)."""
    if value is None:
        return "?"
    return format(value.normalize(), "f")


def _price(value: Decimal | None) -> str:
    return "?" if value is None else format(value, "f")


def _what(item: OrderItem, quantity: Decimal | None = None) -> str:
    """"BUY 10 AAPL", or "BUY $500 of AAPL" for an order by amount."""
    name = item.symbol
    if item.option_strategy is not None and item.option_strategy.value != "SINGLE":
        name += f" {item.option_strategy.value.lower().replace('_', ' ')}"
    qty = quantity if quantity is not None else item.total_quantity
    if qty is None and item.total_cash_amount is not None:
        return f"{item.side.value} ${_price(item.total_cash_amount)} of {name}"
    return f"{item.side.value} {_qty(qty)} {name}"


def _terms(item: OrderItem) -> str:
    if item.limit_price is not None and item.stop_price is not None:
        return f" stop {_price(item.stop_price)} limit {_price(item.limit_price)}"
    if item.limit_price is not None:
        return f" limit {_price(item.limit_price)}"
    if item.stop_price is not None:
        return f" stop {_price(item.stop_price)}"
    return f" {item.order_type.value.lower().replace('_', ' ')}"


def new_order_text(row: OrderRow) -> str:
    return f"New order: {_what(row.item)}{_terms(row.item)}"


def fill_text(row: OrderRow, newly_filled: Decimal) -> str:
    item = row.item
    total = item.total_quantity
    done = item.filled_quantity or Decimal(0)
    at = f" @ {_price(item.filled_price)}" if item.filled_price is not None else ""
    if total is not None and done < total:
        return (f"Partly filled: {item.side.value} {_qty(newly_filled)} {item.symbol}{at} "
                f"({_qty(done)} of {_qty(total)} done)")
    return f"Filled: {item.side.value} {_qty(newly_filled)} {item.symbol}{at}"


def activity_for_final(row_before: OrderRow, final: OrderItem, at: datetime,
                       account_label: str) -> Activity:
    """The activity line for an order that left the open list, from its final status."""
    suffix = f" — {account_label}" if account_label else ""
    status = final.status
    filled = final.filled_quantity or Decimal(0)
    if status == OrderStatus.FILLED:
        qty = final.filled_quantity or final.total_quantity
        price = f" @ {_price(final.filled_price)}" if final.filled_price is not None else ""
        reported = row_before.item.filled_quantity or Decimal(0)
        if qty is not None and 0 < reported < qty:
            # partial fills were reported already: this line adds only the rest
            text = (f"Filled: {final.side.value} {_qty(qty - reported)} {final.symbol}{price} "
                    f"({_qty(qty)} of {_qty(qty)} done)")
        else:
            text = f"Filled: {_what(final, qty)}{price}"
        kind = ActivityKind.FILL
    elif status == OrderStatus.CANCELLED:
        part = ""
        if filled > 0:
            part = f" after {_qty(filled)} filled"
        kind, text = ActivityKind.CANCELLED, f"Cancelled{part}: {_what(final)}{_terms(final)}"
    elif status == OrderStatus.FAILED:
        kind, text = ActivityKind.REJECTED, f"Rejected: {_what(final)}{_terms(final)}"
    else:
        before = row_before.item.status.value.lower().replace("_", " ")
        kind = ActivityKind.INFO
        text = (f"No longer listed as open ({before} → {status.value.lower()}): "
                f"{_what(final)}{_terms(final)}")
    return Activity(at, kind, text + suffix, None, final.client_order_id)


#: positions lists longer than this are compared in slices (apply_positions_sliced)
SLICED_DIFF_ROWS = 500


@dataclass(frozen=True, slots=True)
class OpenOrdersChange:
    """What one open-orders answer changed.

    ``appeared`` and ``fills`` are empty on an account's first snapshot (nothing is news then).
    An order that appears already partly filled is both appeared and filled."""

    diff: KeyedDiff[str, OrderRow]
    appeared: tuple[OrderRow, ...] = ()
    #: (row, quantity newly filled since the previous poll)
    fills: tuple[tuple[OrderRow, Decimal], ...] = ()
    #: rows that left the open list; their final status must be looked up
    vanished: tuple[OrderRow, ...] = ()


class Portfolio:
    """Latest snapshot per account; turns each new answer into a KeyedDiff + activity."""

    def __init__(self) -> None:
        self._accounts: dict[str, Account] = {}
        self._balances: dict[str, Balance] = {}
        self._positions: dict[str, dict[str, Position]] = {}
        self._orders: dict[str, dict[str, OrderRow]] = {}

    @property
    def accounts(self) -> tuple[Account, ...]:
        return tuple(self._accounts.values())

    def account(self, account_id: str) -> Account | None:
        return self._accounts.get(account_id)

    def label(self, account_id: str) -> str:
        account = self._accounts.get(account_id)
        return account_label(account) if account else f"account ·{account_id[-4:]}"

    def balance(self, account_id: str) -> Balance | None:
        return self._balances.get(account_id)

    def positions(self, account_id: str) -> Mapping[str, Position]:
        found = self._positions.get(account_id)
        return MappingProxyType(found) if found is not None else _EMPTY  # type: ignore[return-value]

    def open_orders(self, account_id: str) -> Mapping[str, OrderRow]:
        found = self._orders.get(account_id)
        return MappingProxyType(found) if found is not None else _EMPTY  # type: ignore[return-value]

    def clear(self) -> None:
        """Forget everything (signed out)."""
        self._accounts.clear()
        self._balances.clear()
        self._positions.clear()
        self._orders.clear()

    def set_accounts(self, accounts: Sequence[Account]) -> None:
        """Replace the account list; data of accounts no longer listed is dropped."""
        self._accounts = index_by(accounts, lambda a: a.account_id)
        for store in (self._balances, self._positions, self._orders):
            for gone in [k for k in store if k not in self._accounts]:
                del store[gone]

    def apply_balance(self, account_id: str, balance: Balance) -> None:
        self._balances[account_id] = balance

    def apply_positions(self, account_id: str,
                        positions: Sequence[Position]) -> KeyedDiff[str, Position]:
        new = index_by(positions, lambda p: p.position_id)
        old = self._positions.get(account_id)
        self._positions[account_id] = new
        return snapshot_diff(new) if old is None else keyed_diff(old, new)

    async def apply_positions_sliced(
            self, account_id: str, positions: Sequence[Position]) -> KeyedDiff[str, Position] | None:
        """``apply_positions`` for large accounts, comparing in slices between which the event
        loop runs. None when the account was dropped (or everything cleared) meanwhile."""
        new = index_by(positions, lambda p: p.position_id)
        old = self._positions.get(account_id)
        if old is None or len(new) <= SLICED_DIFF_ROWS:
            return self.apply_positions(account_id, positions)
        diff = await keyed_diff_sliced(old, new)
        if self._positions.get(account_id) is not old:
            return None  # cleared, or the account went away, while comparing
        self._positions[account_id] = new
        return diff

    def apply_open_orders(self, account_id: str, groups: Sequence[OrderGroup]) -> OpenOrdersChange:
        new = index_by(order_rows(list(groups)), lambda r: r.key)
        old = self._orders.get(account_id)
        self._orders[account_id] = new
        if old is None:
            return OpenOrdersChange(snapshot_diff(new))
        diff = keyed_diff(old, new)
        appeared = tuple(row for _, row in diff.added)
        fills: list[tuple[OrderRow, Decimal]] = []
        for row in appeared:
            if row.item.filled_quantity:
                fills.append((row, row.item.filled_quantity))
        for key, row in diff.changed:
            before = old[key].item.filled_quantity or Decimal(0)
            now = row.item.filled_quantity or Decimal(0)
            if now > before:
                fills.append((row, now - before))
        vanished = tuple(old[key] for key in diff.removed)
        return OpenOrdersChange(diff, appeared, tuple(fills), vanished)
