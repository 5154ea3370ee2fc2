"""The option part of the ticket's instrument area (issue 5): the strategy, its legs, the chain
that supplies expirations and strikes, and the per-leg messages.

A mixin of InstrumentArea (ticket_instrument.py), which owns the widgets it uses: ``strategy``
(a combo), ``legs`` (a LegsEditor), ``catalogue``, ``info``, ``chain`` and ``search``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app.core.catalogue import OptionChain
from app.core.ticket import LegDraft
from app.core.ticket_input import InputError, parse_decimal
from app.core.ticket_options import STRATEGY_LEGS
from app.webull.models import OptionStrategy

from .option_chain import LegPick, OptionChainPicker
from .ticket_choices import strategy_label
from .ticket_info import template_for

if TYPE_CHECKING:
    from .ticket_instrument import InstrumentArea

    _Base = InstrumentArea
else:
    _Base = object


class OptionLegs(_Base):
    def _fill_strategies(self) -> None:
        self._filling = True
        self.strategy.clear()
        for strategy in STRATEGY_LEGS:
            self.strategy.addItem(strategy_label(strategy), strategy.value)
        self.strategy.setCurrentIndex(0)
        self._filling = False

    def current_strategy(self) -> OptionStrategy:
        data = self.strategy.currentData()
        return OptionStrategy(data) if data else OptionStrategy.SINGLE

    def load_legs(self, strategy: OptionStrategy, legs: tuple[LegDraft, ...]) -> None:
        """A draft's strategy and legs (a template when it has none)."""
        self._filling = True
        index = self.strategy.findData(strategy.value)
        self.strategy.setCurrentIndex(max(index, 0))
        self._filling = False
        if legs:
            self.legs.set_strategy(strategy, legs)
        else:
            self._apply_template()

    def _chain_loaded(self, generation: int, chain: OptionChain | None,
                      error: BaseException | None) -> None:
        if generation != self._generation or chain is None:
            return  # a chain that cannot be read: the legs take typed dates; Chain… says why
        self.chain = chain
        self.legs.set_expirations(chain.expirations)
        if all(leg.strike is None and leg.expiry is None for leg in self.legs.legs()
               if leg.option_type is not None):
            self._apply_template()

    def _strategy_chosen(self, _index: int) -> None:
        if not self._filling:
            self._apply_template()

    def _apply_template(self) -> None:
        last = self.info.last_price if self.info is not None else None
        strategy = self.current_strategy()
        self.legs.set_strategy(strategy, template_for(strategy, self.chain, last))

    def leg_drafts(self) -> tuple[LegDraft, ...]:
        return self.legs.legs()

    def leg_text_errors(self) -> dict[int, str]:
        """Strikes that were typed but are not numbers: their parse messages, by leg."""
        out: dict[int, str] = {}
        for index, text in enumerate(self.legs.leg_texts()):
            if text.strip():
                try:
                    parse_decimal(text, "strike", self.fmt)
                except InputError as exc:
                    out[index] = f"Strike: {exc.message}"
        return out

    def open_chain(self, index: int) -> OptionChainPicker | None:
        """The chain of the underlying, to pick leg ``index`` from."""
        underlying = self.search.text().strip().upper()
        if not underlying:
            self.legs.set_leg_error(index, "Choose the underlying first.")
            return None
        leg = self.legs.legs()[index] if index < self.legs.count() else None
        picker = OptionChainPicker(self.catalogue.option_chain, underlying, self.window(),
                                   last_price=self.info.last_price if self.info else None,
                                   expiry=leg.expiry if leg is not None else None)
        picker.picked.connect(lambda pick, i=index: self._picked(i, pick))
        picker.finished.connect(lambda _r, p=picker: self._chain_closed(p))
        self.chain_picker = picker
        picker.show()
        return picker

    def _chain_closed(self, picker: OptionChainPicker) -> None:
        """A closed picker is deleted, and forgotten first (nothing may reach it after)."""
        if self.chain_picker is picker:
            self.chain_picker = None
        picker.deleteLater()

    def _picked(self, index: int, pick: LegPick) -> None:
        if index < self.legs.count():
            self.legs.set_leg_from_pick(index, pick)

    def show_leg_errors(self, errors: Mapping[str, Any], shown: bool) -> None:
        """Each leg's message under its row; the strategy's below the legs."""
        typed = self.leg_text_errors()
        for index in range(self.legs.count()):
            own = [m for k, m in errors.items() if k.startswith(f"legs.{index}.")]
            text = typed.get(index) or (own[0][:1].upper() + own[0][1:] if own and shown
                                        else "")
            self.legs.set_leg_error(index, text)
        whole = [errors[k] for k in ("strategy", "legs") if k in errors]
        self.legs.set_error(whole[0] if whole and shown else "")
