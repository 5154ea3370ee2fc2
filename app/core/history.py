"""Net liquidation value over time, kept locally in SQLite so the curve survives restarts.

Values are stored as decimal TEXT (exact, never a float) with the time as UTC epoch
milliseconds. A poll every few seconds would mostly repeat the last value, so a point equal to
the previous one less than a minute later is not stored.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
#: an unchanged value is stored again only after this long (keeps the curve's time axis honest)
DEDUPE_WINDOW = timedelta(seconds=60)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS nlv (
    environment TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (environment, account_id, at_ms)
) WITHOUT ROWID;
"""


class HistoryError(RuntimeError):
    """The history file cannot be used (written by a newer Pennant, or damaged)."""


def _ms(at: datetime) -> int:
    if at.tzinfo is None:
        raise ValueError("the time of a history point must be timezone-aware")
    delta = at.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _at(ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


class NlvHistory:
    """One SQLite connection (WAL) holding every environment's and account's points."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # opened on the start-up thread, then used only by the event loop's thread: one user at
        # a time, so sqlite3's same-thread check is lifted
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            self._migrate()
        except BaseException:
            self._db.close()
            raise
        #: (environment, account_id) → (at_ms, value) of its latest point
        self._last: dict[tuple[str, str], tuple[int, Decimal]] = {}

    def _migrate(self) -> None:
        db = self._db
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"the history file {self.path} cannot be read: {exc}") from None
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"the history file {self.path} was written by a newer version of Pennant "
                f"(format {version}, this version reads up to {SCHEMA_VERSION})")
        if self.path != ":memory:":
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        if version < 1:
            db.execute("BEGIN")
            try:
                db.execute(_SCHEMA)
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _latest(self, key: tuple[str, str]) -> tuple[int, Decimal] | None:
        if key not in self._last:
            row = self._db.execute(
                "SELECT at_ms, value FROM nlv WHERE environment=? AND account_id=? "
                "ORDER BY at_ms DESC LIMIT 1", key).fetchone()
            if row is None:
                return None
            self._last[key] = (row[0], Decimal(row[1]))
        return self._last[key]

    def record(self, environment: str, account_id: str, at: datetime, value: Decimal) -> bool:
        """Store one point; False when it repeats the latest value within a minute."""
        if not isinstance(value, Decimal) or not value.is_finite():
            raise ValueError(f"a net liquidation value must be a finite Decimal, got {value!r}")
        ms = _ms(at)
        key = (environment, account_id)
        last = self._latest(key)
        window = DEDUPE_WINDOW // timedelta(milliseconds=1)
        if last is not None and last[1] == value and 0 <= ms - last[0] < window:
            return False
        self._db.execute("INSERT OR REPLACE INTO nlv VALUES (?, ?, ?, ?)",
                         (environment, account_id, ms, str(value)))
        if last is None or ms >= last[0]:
            self._last[key] = (ms, value)
        return True

    def series(self, environment: str, account_id: str, since: datetime | None = None,
               limit: int = 20_000) -> list[tuple[datetime, Decimal]]:
        """Points oldest first; with more than ``limit`` points, the most recent ``limit``."""
        if limit <= 0:
            return []
        rows = self._db.execute(
            "SELECT at_ms, value FROM nlv WHERE environment=? AND account_id=? AND at_ms>=? "
            "ORDER BY at_ms DESC LIMIT ?",
            (environment, account_id, _ms(since) if since is not None else -(2**62), limit),
        ).fetchall()
        out: list[tuple[datetime, Decimal]] = []
        for ms, text in reversed(rows):
            try:
                out.append((_at(ms), Decimal(text)))
            except InvalidOperation:
                log.warning("skipping an unreadable history value for account %s", account_id)
        return out

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> NlvHistory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
