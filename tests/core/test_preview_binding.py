"""A preview backs a submit only for the exact order, and only while it is fresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.core.preview_binding import DEFAULT_MAX_AGE, bind, fingerprint

T0 = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
BODY = {"symbol": "AAPL", "side": "BUY", "quantity": "10", "limit_price": "187.25",
        "order_type": "LIMIT", "time_in_force": "DAY"}


def test_the_same_order_is_backed_while_fresh() -> None:
    preview = bind("A1", BODY, {"estimated_cost": "1872.50"}, T0)
    reordered = dict(reversed(list(BODY.items())))  # same order, keys in another order
    assert preview.problem("A1", reordered, T0 + timedelta(seconds=5)) is None


def test_any_change_or_age_needs_a_new_preview() -> None:
    preview = bind("A1", BODY, None, T0)
    assert "changed" in preview.problem("A1", {**BODY, "limit_price": "187.26"}, T0)
    assert "changed" in preview.problem("A2", BODY, T0)  # another account
    stale = preview.problem("A1", BODY, T0 + DEFAULT_MAX_AGE + timedelta(seconds=1))
    assert stale is not None and "31 s old" in stale
    assert "future" in preview.problem("A1", BODY, T0 - timedelta(seconds=1))


@given(st.dictionaries(st.sampled_from(sorted(BODY)), st.text(max_size=8), min_size=1))
def test_a_fingerprint_changes_with_any_field(change: dict[str, str]) -> None:
    changed = {**BODY, **change}
    same = changed == BODY
    assert (fingerprint("A1", changed) == fingerprint("A1", BODY)) == same
