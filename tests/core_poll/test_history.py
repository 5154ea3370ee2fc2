"""Net liquidation history in SQLite: exact decimals, reopen, dedupe, since filter."""

from __future__ import annotations

import sqlite3
from datetime import timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from app.core.history import HistoryError, NlvHistory

from .conftest import EPOCH


def test_round_trip_is_exact_and_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "history.sqlite3"
    with NlvHistory(path) as h:
        assert h.record("demo", "A", EPOCH, Decimal("123456789.123456789"))
        assert h.record("demo", "A", EPOCH + timedelta(seconds=5), Decimal("0.10"))
    with NlvHistory(path) as h:
        series = h.series("demo", "A")
    assert series == [(EPOCH, Decimal("123456789.123456789")),
                      (EPOCH + timedelta(seconds=5), Decimal("0.10"))]
    assert str(series[1][1]) == "0.10"  # the text survives, not only the value
    assert series[0][0].tzinfo is not None and series[0][0].utcoffset() == timedelta(0)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_equal_value_within_a_minute_is_skipped(tmp_path: Path) -> None:
    with NlvHistory(tmp_path / "h.db") as h:
        assert h.record("demo", "A", EPOCH, Decimal("100"))
        assert not h.record("demo", "A", EPOCH + timedelta(seconds=30), Decimal("100.00"))
        assert h.record("demo", "A", EPOCH + timedelta(seconds=31), Decimal("101"))
        assert h.record("demo", "A", EPOCH + timedelta(seconds=95), Decimal("101"))
        # another account or environment is independent
        assert h.record("demo", "B", EPOCH + timedelta(seconds=30), Decimal("100"))
        assert h.record("live", "A", EPOCH + timedelta(seconds=30), Decimal("100"))
        assert [v for _, v in h.series("demo", "A")] == [100, 101, 101]
    # the dedupe also knows the last point after a restart
    with NlvHistory(tmp_path / "h.db") as h:
        assert not h.record("demo", "A", EPOCH + timedelta(seconds=100), Decimal("101"))


def test_since_and_limit() -> None:
    h = NlvHistory(":memory:")
    for i in range(10):
        h.record("demo", "A", EPOCH + timedelta(minutes=i), Decimal(i))
    since = h.series("demo", "A", since=EPOCH + timedelta(minutes=7))
    assert [v for _, v in since] == [7, 8, 9]
    assert [v for _, v in h.series("demo", "A", limit=3)] == [7, 8, 9]  # the most recent
    assert h.series("demo", "A", limit=0) == []
    assert h.series("demo", "nobody") == []
    h.close()


def test_times_in_other_zones_are_stored_as_utc() -> None:
    h = NlvHistory(":memory:")
    eastern = timezone(timedelta(hours=-5))
    h.record("demo", "A", EPOCH.astimezone(eastern), Decimal("1"))
    assert h.series("demo", "A")[0][0] == EPOCH
    with pytest.raises(ValueError, match="timezone-aware"):
        h.record("demo", "A", EPOCH.replace(tzinfo=None), Decimal("1"))
    with pytest.raises(ValueError, match="finite Decimal"):
        h.record("demo", "A", EPOCH, Decimal("NaN"))
    h.close()


def test_a_newer_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=9")
    db.close()
    with pytest.raises(HistoryError, match="newer version of Pennant"):
        NlvHistory(path)
