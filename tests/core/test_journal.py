"""The order journal: intents written before sending, checked transitions, unresolved intents
found again after a restart, and an append-only, redacted audit log."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.core.journal import IntentState, JournalError, OrderJournal
from app.webull.redaction import register_secret

T0 = datetime(2026, 11, 29, 14, 30, tzinfo=UTC)
BODY = {"symbol": "AAPL", "side": "BUY", "quantity": "10", "limit_price": "187.25"}


@pytest.fixture
def journal(tmp_path: Path) -> OrderJournal:
    j = OrderJournal(tmp_path / "journal.sqlite3")
    yield j
    j.close()


def test_an_intent_is_on_disk_before_it_is_sent(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    first = OrderJournal(path)
    first.record("demo", "A1", "c" * 32, "place", BODY, T0)
    first.close()  # the app dies here, before sending
    again = OrderJournal(path)
    (intent,) = again.unresolved("demo")
    assert intent.state is IntentState.PENDING and intent.request == BODY
    assert again.unresolved("production") == []
    again.close()


def test_lifecycle_and_checked_transitions(journal: OrderJournal) -> None:
    coid = "a" * 32
    journal.record("demo", "A1", coid, "place", BODY, T0)
    journal.move(coid, IntentState.SENT, T0)
    journal.move(coid, IntentState.UNKNOWN, T0, detail="the answer was lost")
    assert [i.client_order_id for i in journal.unresolved("demo")] == [coid]
    journal.move(coid, IntentState.ABSENT, T0 + timedelta(seconds=2))
    journal.move(coid, IntentState.SENT, T0 + timedelta(seconds=3))  # sent again, same id
    done = journal.move(coid, IntentState.ACCEPTED, T0 + timedelta(seconds=4), order_id="O1")
    assert done.state is IntentState.ACCEPTED and done.order_id == "O1" and not done.unresolved
    with pytest.raises(JournalError, match="cannot go from accepted to sent"):
        journal.move(coid, IntentState.SENT, T0)
    with pytest.raises(JournalError, match="no intent"):
        journal.move("b" * 32, IntentState.SENT, T0)


def test_the_same_id_is_never_recorded_twice(journal: OrderJournal) -> None:
    journal.record("demo", "A1", "d" * 32, "place", BODY, T0)
    with pytest.raises(JournalError, match="already in the journal"):
        journal.record("demo", "A1", "d" * 32, "place", BODY, T0)
    assert len(journal.audit("demo")) == 1  # the refused duplicate left no trace


def test_the_audit_log_is_append_only_and_redacted(journal: OrderJournal,
                                                   tmp_path: Path) -> None:
    secret = "tok-" + "9" * 40
    register_secret(secret)
    coid = "e" * 32
    journal.record("demo", "A1", coid, "place", BODY, T0)
    journal.move(coid, IntentState.SENT, T0)
    journal.move(coid, IntentState.REJECTED, T0, detail=f"refused, token {secret}",
                 response={"error_code": "OAUTH_OPENAPI_X", "message": "no"})
    events = [e["event"] for e in journal.audit("demo")]
    assert events == ["intent:place", "sent", "rejected"]
    assert secret not in str(journal.audit("demo"))
    raw = sqlite3.connect(tmp_path / "journal.sqlite3")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("DELETE FROM audit")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("UPDATE audit SET event = 'x'")
    raw.close()


def test_absent_intents_wait_for_the_trader(journal: OrderJournal) -> None:
    coid = "f" * 32
    journal.record("demo", "A1", coid, "place", BODY, T0)
    journal.move(coid, IntentState.SENT, T0)
    journal.move(coid, IntentState.ABSENT, T0, detail="not found at Webull")
    assert [i.client_order_id for i in journal.absent("demo")] == [coid]
    assert journal.unresolved("demo") == []  # absent is known: it does not block trading
    journal.move(coid, IntentState.DISMISSED, T0, detail="dismissed by the trader")
    assert journal.absent("demo") == []
    with pytest.raises(JournalError, match="cannot go from dismissed to sent"):
        journal.move(coid, IntentState.SENT, T0)


def test_notes_join_the_audit_and_export_as_guarded_csv(journal: OrderJournal) -> None:
    import csv
    import io

    secret = "tok-" + "7" * 40
    register_secret(secret)
    journal.note("demo", "A1", "g" * 32, "preview",
                 {"request": BODY, "response": {"estimated_cost": "1872.50"},
                  "echo": f"Bearer {secret}"}, T0)
    journal.note("demo", "A1", "g" * 32, "-cancel:request", {"request": {}}, T0)
    journal.note("production", "A9", "h" * 32, "preview", {}, T0)
    out = io.StringIO()
    assert journal.export_csv("demo", out) == 2
    text = out.getvalue()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["at", "environment", "account_id", "client_order_id", "event",
                       "payload"]
    assert rows[1][:5] == ["2026-11-29T14:30:00Z", "demo", "A1", "g" * 32, "preview"]
    assert rows[2][4] == "'-cancel:request"  # a spreadsheet would run it as a formula
    assert secret not in text and "1872.50" in rows[1][5]
    assert text.endswith("\r\n")


def test_sent_at_is_the_last_time_the_request_was_marked_sent(tmp_path) -> None:
    from datetime import UTC, datetime, timedelta

    journal = OrderJournal(tmp_path / "sent.sqlite3")
    t0 = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
    journal.record("demo", "ACC", "k" * 32, "place", {"new_orders": []}, t0)
    assert journal.sent_at("k" * 32) is None
    journal.move("k" * 32, IntentState.SENT, t0 + timedelta(seconds=1))
    journal.move("k" * 32, IntentState.UNKNOWN, t0 + timedelta(minutes=9))  # a lookup failed
    assert journal.sent_at("k" * 32) == t0 + timedelta(seconds=1)
    journal.move("k" * 32, IntentState.ABSENT, t0 + timedelta(minutes=10))
    journal.move("k" * 32, IntentState.SENT, t0 + timedelta(minutes=11))  # sent again
    assert journal.sent_at("k" * 32) == t0 + timedelta(minutes=11)
    journal.close()
