"""Row values shown by the tables, derived from the Webull models.

An order group (a combo: OTO, OCO, OTOCO, a bracket) holds several orders; the orders table
shows one row per order item, keyed by its ``client_order_id``, carrying its group.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.webull.models import ComboType, OrderGroup, OrderItem, OrderStatus

#: statuses after which an order can no longer change
FINAL_STATUSES = frozenset({OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.FAILED})


@dataclass(frozen=True, slots=True)
class OrderRow:
    item: OrderItem
    combo_type: ComboType
    combo_order_id: str | None
    #: the group's own client id (for a combo), else the item's
    group_client_order_id: str | None

    @property
    def key(self) -> str:
        return self.item.client_order_id

    @property
    def is_final(self) -> bool:
        return self.item.status in FINAL_STATUSES


def order_rows(groups: tuple[OrderGroup, ...] | list[OrderGroup]) -> list[OrderRow]:
    """One row per order item of every group, in the order Webull listed them."""
    rows = []
    for group in groups:
        for item in group.orders:
            rows.append(OrderRow(item, group.combo_type, group.combo_order_id,
                                 group.client_order_id or item.client_order_id))
    return rows
