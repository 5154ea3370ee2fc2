"""Portfolio snapshots and diffs, and the words of the activity log."""

from __future__ import annotations

from decimal import Decimal

from app.core.events import ActivityKind
from app.core.portfolio import Portfolio, account_label, activity_for_final
from app.core.rows import OrderRow

from .conftest import EPOCH, account, balance, group, item, position


def test_first_positions_snapshot_is_a_reset() -> None:
    p = Portfolio()
    diff = p.apply_positions("A", [position("P1"), position("P2", "MSFT")])
    assert diff.reset and [k for k, _ in diff.added] == ["P1", "P2"]
    assert set(p.positions("A")) == {"P1", "P2"}


def test_positions_add_remove_change() -> None:
    p = Portfolio()
    p.apply_positions("A", [position("P1"), position("P2", "MSFT"), position("P3", "TSLA")])
    diff = p.apply_positions("A", [position("P1", last="190.00"), position("P3", "TSLA"),
                                   position("P4", "NVDA")])
    assert not diff.reset
    assert diff.removed == ("P2",)
    assert [(k, v.last_price) for k, v in diff.changed] == [("P1", Decimal("190.00"))]
    assert [k for k, _ in diff.added] == ["P4"]
    assert p.apply_positions("A", list(p.positions("A").values())).empty


def test_open_orders_first_snapshot_has_no_news() -> None:
    p = Portfolio()
    change = p.apply_open_orders("A", [group(item("X1", filled="3"))])
    assert change.diff.reset and not change.appeared and not change.fills
    assert not change.vanished and set(p.open_orders("A")) == {"X1"}


def test_open_orders_appeared_fills_vanished() -> None:
    p = Portfolio()
    p.apply_open_orders("A", [group(item("X1")), group(item("X2", filled="2")),
                              group(item("X3"))])
    change = p.apply_open_orders("A", [
        group(item("X2", status="PARTIAL_FILLED", filled="5", price="187.25")),
        group(item("X3")),
        group(item("X4")),
        group(item("X5", status="PARTIAL_FILLED", filled="1")),
    ])
    assert [r.key for r in change.appeared] == ["X4", "X5"]
    assert [(r.key, q) for r, q in change.fills] == [("X5", Decimal("1")), ("X2", Decimal("3"))]
    assert [r.key for r in change.vanished] == ["X1"]
    assert change.vanished[0].item.status == "SUBMITTED"  # the row as last seen
    assert change.diff.removed == ("X1",)
    assert [k for k, _ in change.diff.changed] == ["X2"]


def test_combo_rows_carry_their_group() -> None:
    p = Portfolio()
    combo = group(item("L1"), item("L2")).model_copy(
        update={"combo_type": "OTO", "client_order_id": "G1"})
    p.apply_open_orders("A", [combo])
    rows = p.open_orders("A")
    assert set(rows) == {"L1", "L2"} and rows["L2"].group_client_order_id == "G1"


def test_accounts_replace_and_drop_data_of_gone_accounts() -> None:
    p = Portfolio()
    p.set_accounts([account("A"), account("B")])
    p.apply_balance("B", balance())
    p.apply_positions("B", [position("P1")])
    p.set_accounts([account("A")])
    assert [a.account_id for a in p.accounts] == ["A"]
    assert p.balance("B") is None and not p.positions("B") and p.account("B") is None
    p.clear()
    assert p.accounts == ()


def test_account_labels() -> None:
    assert account_label(account("A", "5MX01234")) == "Margin ·1234"
    assert account_label(account("A", "77772222", cls="INDIVIDUAL_CASH")) == "Cash ·2222"
    assert account_label(account("A", "77779999", cls="INDIVIDUAL_CASH",
                                 label="Roth IRA")) == "Roth IRA ·9999"
    assert account_label(account("A", "1111", cls="FUTURES")) == "Futures ·1111"
    assert account_label(account("A", "2222", cls="CRYPTO")) == "Crypto ·2222"
    assert account_label(account("A", "3333", cls="EVENTS_CASH")) == "Events ·3333"
    assert account_label(account("A", "4444", cls="SOMETHING_NEW")) == "Something New ·4444"


def _row(coid: str, **kw: str) -> OrderRow:
    return OrderRow(item(coid, **kw), "NORMAL", None, coid)


def test_final_activity_in_plain_words() -> None:
    before = _row("X1")
    filled = activity_for_final(before, item("X1", status="FILLED", filled="10",
                                             price="187.25"), EPOCH, "Margin ·1234")
    assert filled.kind is ActivityKind.FILL
    assert filled.text == "Filled: BUY 10 AAPL @ 187.25 — Margin ·1234"
    assert filled.client_order_id == "X1" and filled.at == EPOCH
    cancelled = activity_for_final(before, item("X1", status="CANCELLED", filled="4"), EPOCH,
                                   "Cash ·2222")
    assert cancelled.kind is ActivityKind.CANCELLED
    assert cancelled.text == "Cancelled after 4 filled: BUY 10 AAPL limit 187.00 — Cash ·2222"
    rejected = activity_for_final(before, item("X1", status="FAILED", side="SELL", qty="2.50",
                                               limit=None), EPOCH, "Margin ·1234")
    assert rejected.kind is ActivityKind.REJECTED
    assert rejected.text == "Rejected: SELL 2.5 AAPL market — Margin ·1234"
    odd = activity_for_final(before, item("X1", status="SUBMITTED"), EPOCH, "")
    assert odd.kind is ActivityKind.INFO and odd.text.startswith("No longer listed as open")


async def test_large_accounts_are_compared_in_slices_with_the_same_result() -> None:
    from app.core.diff import keyed_diff
    from app.core.portfolio import SLICED_DIFF_ROWS

    n = SLICED_DIFF_ROWS * 2 + 5
    first = [position(f"P{i}") for i in range(n)]
    second = [position(f"P{i}", last="191.00" if i % 3 == 0 else "187.25")
              for i in range(1, n + 1)]
    sync, sliced = Portfolio(), Portfolio()
    for p in (sync, sliced):
        p.apply_positions("A", first)
    expected = sync.apply_positions("A", second)
    diff = await sliced.apply_positions_sliced("A", second)
    assert diff == expected and not diff.empty
    assert sliced.positions("A") == sync.positions("A")
    assert diff == keyed_diff({q.position_id: q for q in first},
                              {q.position_id: q for q in second})


async def test_a_sliced_comparison_is_dropped_when_the_portfolio_was_cleared_meanwhile() -> None:
    import asyncio

    from app.core.portfolio import SLICED_DIFF_ROWS

    rows = [position(f"P{i}") for i in range(SLICED_DIFF_ROWS * 3)]
    p = Portfolio()
    p.apply_positions("A", rows)
    task = asyncio.ensure_future(p.apply_positions_sliced("A", list(reversed(rows))))
    await asyncio.sleep(0)  # the comparison has started and yielded
    p.clear()
    assert await task is None
    assert p.positions("A") == {}
