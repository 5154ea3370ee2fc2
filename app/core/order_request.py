"""One order request as it is previewed, journaled and sent (issue 5).

A request is what one press of Submit sends: a single order, or a combo (a bracket's orders,
or an OCO pair) that travels in one ``/trading/orders/place`` call under one
``client_combo_order_id``. Its ``key`` — the first order's ``client_order_id`` — names it in the
journal; a lookup by that id finds the whole group at Webull.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.webull.models import NewOrder


@dataclass(frozen=True)
class OrderRequest:
    account_id: str
    orders: tuple[NewOrder, ...]
    #: client_combo_order_id, for a combo of more than one order (None for a single order)
    combo_id: str | None = None

    def __post_init__(self) -> None:
        if not self.orders:
            raise ValueError("an order request holds at least one order")
        ids = [o.client_order_id for o in self.orders]
        if len(set(ids)) != len(ids):
            raise ValueError("the orders of one request need distinct client_order_ids")

    @property
    def key(self) -> str:
        return self.orders[0].client_order_id

    def body(self) -> dict[str, Any]:
        """The request body without the account (what the journal keeps and previews bind)."""
        out: dict[str, Any] = {}
        if self.combo_id is not None:
            out["client_combo_order_id"] = self.combo_id
        out["new_orders"] = [o.to_wire() for o in self.orders]
        return out

    @classmethod
    def from_body(cls, account_id: str, body: Mapping[str, Any]) -> OrderRequest:
        """The request again, from what the journal kept (to send it again, same ids)."""
        orders = tuple(NewOrder.model_validate(o) for o in body["new_orders"])
        return cls(account_id, orders, body.get("client_combo_order_id"))
