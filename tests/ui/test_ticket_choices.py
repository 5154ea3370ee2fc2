"""The ticket's offered choices (app/ui/ticket_choices.py, Qt-free): what the instrument allows."""

from __future__ import annotations

from app.core.ticket import InstrumentInfo, TicketDraft
from app.ui.ticket_choices import normalize
from app.webull.models import Account, InstrumentType, TradingSession


def margin() -> Account:
    return Account.model_validate({"account_id": "ACC1", "account_number": "1234",
                                   "account_type": "MARGIN",
                                   "account_class": "INDIVIDUAL_MARGIN"})


def test_the_overnight_session_is_offered_only_where_the_stock_trades_in_it() -> None:
    draft = TicketDraft("ACC1", InstrumentType.EQUITY, "AAPL", session=TradingSession.NIGHT)
    night = InstrumentInfo(InstrumentType.EQUITY, "AAPL", overnight=True)
    day_only = InstrumentInfo(InstrumentType.EQUITY, "AAPL", overnight=False)
    kept, offer = normalize(draft, margin(), night)
    assert TradingSession.NIGHT in offer.sessions and kept.session is TradingSession.NIGHT
    moved, offer = normalize(draft, margin(), day_only)
    assert TradingSession.NIGHT not in offer.sessions
    assert moved.session is TradingSession.CORE  # moved onto an offered session
    assert "overnight" in offer.notes["session"]
