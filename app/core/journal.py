"""The order journal (issue 5): every order intent is written here before it is sent.

One row per intent, keyed by its ``client_order_id``, moving through

    PENDING  written, not yet sent (the app may have died before sending)
    SENT     the request left; no answer yet
    ACCEPTED Webull answered with an order id
    REJECTED Webull refused it (code and message kept)
    UNKNOWN  the answer was lost (timeout, reset, 5xx after commit, cancelled): look it up
    PLACED   a lookup found the order: it exists
    ABSENT   a lookup found no such order: it may be sent again, with the same id
    DISMISSED the trader chose not to send an ABSENT intent again

PENDING, SENT and UNKNOWN are unresolved: on start-up they are reconciled before trading is
enabled. Transitions are checked: an intent never moves backwards, and a resolved one never
changes again. Every change is also appended to ``audit`` (SQLite triggers refuse UPDATE and
DELETE there), the trader's own record of what was sent and what came back; previews, modifies
and cancels are noted there too (``note``), and the whole log exports to CSV.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from app.webull.redaction import redact

from .export import cell


class IntentState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNKNOWN = "unknown"
    PLACED = "placed"
    ABSENT = "absent"
    DISMISSED = "dismissed"


UNRESOLVED = frozenset({IntentState.PENDING, IntentState.SENT, IntentState.UNKNOWN})

#: state -> the states it may move to
_NEXT: Mapping[IntentState, frozenset[IntentState]] = {
    IntentState.PENDING: frozenset({IntentState.SENT, IntentState.UNKNOWN,
                                    IntentState.PLACED, IntentState.ABSENT}),
    IntentState.SENT: frozenset({IntentState.ACCEPTED, IntentState.REJECTED,
                                 IntentState.UNKNOWN, IntentState.PLACED, IntentState.ABSENT}),
    IntentState.UNKNOWN: frozenset({IntentState.PLACED, IntentState.ABSENT}),
    # sent again with the same id after a lookup found nothing
    IntentState.ABSENT: frozenset({IntentState.SENT, IntentState.DISMISSED}),
    IntentState.ACCEPTED: frozenset(),
    IntentState.REJECTED: frozenset(),
    IntentState.PLACED: frozenset(),
    IntentState.DISMISSED: frozenset(),
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS intents (
    client_order_id TEXT PRIMARY KEY,
    environment TEXT NOT NULL,
    account_id TEXT NOT NULL,
    action TEXT NOT NULL,
    request TEXT NOT NULL,
    state TEXT NOT NULL,
    order_id TEXT,
    detail TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS intents_unresolved ON intents (environment, state);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    environment TEXT NOT NULL,
    account_id TEXT NOT NULL,
    client_order_id TEXT NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

SCHEMA_VERSION = 1

#: the columns of the exported audit log
AUDIT_COLUMNS = ("at", "environment", "account_id", "client_order_id", "event", "payload")


class JournalError(RuntimeError):
    """The journal refused a change (unknown intent, a transition that cannot happen)."""


@dataclass(frozen=True)
class Intent:
    client_order_id: str
    environment: str
    account_id: str
    action: str  # place | replace | cancel
    request: Mapping[str, Any]
    state: IntentState
    order_id: str | None
    detail: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def unresolved(self) -> bool:
        return self.state in UNRESOLVED


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class OrderJournal:
    """SQLite, one connection, every write its own transaction (durable before sending)."""

    def __init__(self, path: Path | str) -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # an intent must survive a power cut
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise JournalError("the order journal was written by a newer Pennant; update it")
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    def record(self, environment: str, account_id: str, client_order_id: str, action: str,
               request: Mapping[str, Any], at: datetime) -> Intent:
        """Write a new intent (PENDING). The same client_order_id twice is refused."""
        body = json.dumps(request, sort_keys=True, default=str)
        with self._lock:
            try:
                with self._transaction():
                    self._db.execute(
                        "INSERT INTO intents VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)",
                        (client_order_id, environment, account_id, action, body,
                         IntentState.PENDING.value, _ms(at), _ms(at)))
                    self._audit(environment, account_id, client_order_id, f"intent:{action}",
                                request, at)
            except sqlite3.IntegrityError:
                raise JournalError(f"an intent {client_order_id} is already in the journal"
                                   ) from None
            return self._get(client_order_id)  # type: ignore[return-value]

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One durable transaction: committed whole, or rolled back whole."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def move(self, client_order_id: str, state: IntentState, at: datetime, *,
             order_id: str | None = None, detail: str | None = None,
             response: Mapping[str, Any] | None = None) -> Intent:
        """Move an intent to ``state`` (checked), keeping the answer in the audit log."""
        with self._lock:
            current = self._get(client_order_id)
            if current is None:
                raise JournalError(f"no intent {client_order_id} in the journal")
            if state not in _NEXT[current.state]:
                raise JournalError(f"intent {client_order_id} cannot go from "
                                   f"{current.state.value} to {state.value}")
            safe_detail = redact(detail) if detail else None
            with self._transaction():
                self._db.execute(
                    "UPDATE intents SET state = ?, order_id = COALESCE(?, order_id), "
                    "detail = ?, updated_ms = ? WHERE client_order_id = ?",
                    (state.value, order_id, safe_detail, _ms(at), client_order_id))
                self._audit(current.environment, current.account_id, client_order_id,
                            state.value, {"order_id": order_id, "detail": safe_detail,
                                          "response": dict(response) if response else None},
                            at)
            return self._get(client_order_id)  # type: ignore[return-value]

    def get(self, client_order_id: str) -> Intent | None:
        with self._lock:
            return self._get(client_order_id)

    def unresolved(self, environment: str) -> list[Intent]:
        """Intents whose outcome is not known yet, oldest first: reconcile these first."""
        marks = ", ".join("?" for _ in UNRESOLVED)
        with self._lock:
            rows = self._db.execute(
                f"SELECT * FROM intents WHERE environment = ? AND state IN ({marks}) "
                "ORDER BY created_ms", (environment, *sorted(s.value for s in UNRESOLVED)),
            ).fetchall()
        return [_intent(row) for row in rows]

    def absent(self, environment: str) -> list[Intent]:
        """Intents a lookup found were never placed, oldest first: each waits for the trader
        to send it again (same id) or dismiss it; none is sent again by itself."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM intents WHERE environment = ? AND state = ? ORDER BY created_ms",
                (environment, IntentState.ABSENT.value)).fetchall()
        return [_intent(row) for row in rows]

    def sent_at(self, client_order_id: str) -> datetime | None:
        """When the intent's request was last marked sent (None: it never was)."""
        with self._lock:
            row = self._db.execute(
                "SELECT MAX(at_ms) FROM audit WHERE client_order_id = ? AND event = ?",
                (client_order_id, IntentState.SENT.value)).fetchone()
        return _at(row[0]) if row and row[0] is not None else None

    def note(self, environment: str, account_id: str, key: str, event: str,
             payload: Mapping[str, Any], at: datetime) -> None:
        """Append one audit entry that is not an intent's move: a preview, a modify or a
        cancel (its request, Webull's answer, the outcome). Redacted like every entry."""
        with self._lock, self._transaction():
            self._audit(environment, account_id, key, event, payload, at)

    def export_csv(self, environment: str, out: TextIO) -> int:
        """Write the audit log of ``environment`` as CSV (text cells guarded against
        spreadsheet formulas; payloads as their redacted JSON); returns the rows written."""
        with self._lock:
            rows = self._db.execute(
                "SELECT at_ms, environment, account_id, client_order_id, event, payload "
                "FROM audit WHERE environment = ? ORDER BY seq", (environment,)).fetchall()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(AUDIT_COLUMNS)
        for at_ms, *rest in rows:
            writer.writerow([cell(_at(at_ms)), *(cell(v) for v in rest)])
        return len(rows)

    def audit(self, environment: str) -> list[dict[str, Any]]:
        """The audit log of an environment, oldest first (for export)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT at_ms, account_id, client_order_id, event, payload FROM audit "
                "WHERE environment = ? ORDER BY seq", (environment,)).fetchall()
        return [{"at": _at(r[0]).isoformat(), "account_id": r[1], "client_order_id": r[2],
                 "event": r[3], "payload": json.loads(r[4])} for r in rows]

    def _get(self, client_order_id: str) -> Intent | None:
        row = self._db.execute("SELECT * FROM intents WHERE client_order_id = ?",
                               (client_order_id,)).fetchone()
        return _intent(row) if row else None

    def _audit(self, environment: str, account_id: str, client_order_id: str, event: str,
               payload: Mapping[str, Any], at: datetime) -> None:
        text = redact(json.dumps(payload, sort_keys=True, default=str))
        self._db.execute(
            "INSERT INTO audit (at_ms, environment, account_id, client_order_id, event, "
            "payload) VALUES (?, ?, ?, ?, ?, ?)",
            (_ms(at), environment, account_id, client_order_id, event, text))


def _intent(row: tuple[Any, ...]) -> Intent:
    return Intent(row[0], row[1], row[2], row[3], json.loads(row[4]), IntentState(row[5]),
                  row[6], row[7], _at(row[8]), _at(row[9]))
