"""An option chain as the ticket shows it (issue 5): expirations, and per expiration the strikes
with their call and put. Built by app.core.catalogue from Webull's option contract list."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.webull.models import OptionContract, OptionType


@dataclass(frozen=True)
class ChainRow:
    """One strike of one expiration: the call and put contracts (either may be missing)."""

    strike: Decimal
    call: OptionContract | None
    put: OptionContract | None


@dataclass(frozen=True)
class OptionChain:
    underlying: str
    expirations: tuple[date, ...]
    #: expiration → rows ordered by strike
    rows: dict[date, tuple[ChainRow, ...]]
    multiplier: Decimal = Decimal(100)

    def contract(self, expiry: date, strike: Decimal, kind: OptionType) -> OptionContract | None:
        for row in self.rows.get(expiry, ()):
            if row.strike == strike:
                return row.call if kind == OptionType.CALL else row.put
        return None

    def contracts(self) -> Iterator[OptionContract]:
        for rows in self.rows.values():
            for row in rows:
                if row.call is not None:
                    yield row.call
                if row.put is not None:
                    yield row.put


def build_chain(underlying: str, contracts: Iterable[OptionContract]) -> OptionChain:
    """Contracts → expirations (sorted) → rows by strike with the call and the put."""
    slots: dict[date, dict[Decimal, list[OptionContract | None]]] = {}
    multiplier: Decimal | None = None
    for c in contracts:
        if c.expiration_date is None or c.option_type not in (OptionType.CALL, OptionType.PUT):
            continue
        slot = slots.setdefault(c.expiration_date, {}).setdefault(c.strike_price, [None, None])
        slot[0 if c.option_type == OptionType.CALL else 1] = c
        multiplier = multiplier or c.multiplier
    rows = {day: tuple(ChainRow(strike, call, put) for strike, (call, put) in
                       sorted(by_strike.items())) for day, by_strike in sorted(slots.items())}
    return OptionChain(underlying, tuple(rows), rows, multiplier or Decimal(100))


