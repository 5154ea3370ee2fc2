"""The order endpoints (API.md §6.6–6.13): preview, place, batch place, replace, cancel, open
orders, order history and order detail, on both the Trading API and the Connect paths.

Error codes: the documented/observed ones of API.md §9.2 where one fits (OPENAPI_PARAM_ERR for
bad fields, unknown or final orders); a repeated ``client_order_id`` gets the simulator's own
``OPENAPI_CLIENT_ORDER_ID_DUPLICATE`` (no code is documented), so that a client reconciling an
"outcome unknown" write can tell "already placed" from other refusals.

The rules an order must pass are in order_rules.py and order_combos.py, replacing in
order_replace.py, the JSON of an order in order_wire.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import order_fields as fields
from .accounts import Account
from .assets_api import one_param, trading_routes
from .auth import Caller
from .errors import INVALID_TOKEN, SimError, business, invalid_parameter, unauthorized
from .order_combos import combo_rules, hold_for_master
from .order_fields import CLIENT_ID
from .order_model import FINAL, ZERO, Order
from .order_replace import apply_plans, replace_plan
from .order_rules import OrderRules
from .order_wire import wire_group
from .wire import condition_of, decode_key, encode_key, iso_millis, paged_body

if TYPE_CHECKING:
    from .state import SimState

DUPLICATE = "OPENAPI_CLIENT_ORDER_ID_DUPLICATE"
MAX_BATCH = 50


class OrdersApi:
    def __init__(self, state: SimState) -> None:
        self.state = state
        self.book = state.orders
        self.rules = OrderRules(self.book)

    def routes(self) -> list[Route]:
        routes = trading_routes("/trading/orders/preview", self.preview, ["POST"])
        routes += trading_routes("/trading/orders/place", self.place, ["POST"])
        routes += trading_routes("/trading/orders/batch-place", self.batch_place, ["POST"])
        routes += trading_routes("/trading/orders/replace", self.replace, ["POST"])
        routes += trading_routes("/trading/orders/cancel", self.cancel, ["POST"])
        routes += trading_routes("/trading/orders/open-orders/list", self.open_orders, ["GET"])
        routes += trading_routes("/trading/orders/historical-orders/list", self.history,
                                 ["GET"])
        routes += trading_routes("/trading/orders/get", self.detail, ["GET"])
        return routes

    # ---------------------------------------------------------------- helpers
    def _now(self) -> datetime:
        return self.state.clock.now()

    def _account(self, caller: Caller, account_id: Any) -> Account:
        account = self.state.registry.account(account_id) if isinstance(account_id, str) \
            else None
        if not account_id:
            raise invalid_parameter("account_id is required")
        if account is None or account.owner != caller.user.identity_id:
            raise unauthorized("app_id and account_id not related", INVALID_TOKEN)
        return account

    async def _body(self, request: Request, group: str) -> tuple[Caller, dict[str, Any]]:
        caller = await self.state.auth.authenticate(request, group)
        try:
            data = json.loads(await request.body())
        except ValueError:
            raise invalid_parameter("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise invalid_parameter("the body must be a JSON object")
        self.book.sync()
        return caller, data

    def _new_orders(self, account: Account, data: dict[str, Any], at: datetime,
                    check_duplicates: bool) -> tuple[list[Order], str]:
        items = fields.object_list(data, "new_orders")
        if len(items) > 7:
            raise invalid_parameter("at most 7 orders per request")
        combo = len(items) > 1 or (isinstance(items[0], dict)
                                   and items[0].get("combo_type") not in (None, "NORMAL"))
        combo_id = self.book.ids.token() if combo else ""
        orders = [self.rules.build(account, item, at, combo_id) for item in items]
        ids = [o.client_order_id for o in orders]
        if len(set(ids)) != len(ids):
            raise business(DUPLICATE, "client_order_id is repeated in the request")
        if check_duplicates:
            for o in orders:
                if self.book.get(account.account_id, o.client_order_id) is not None:
                    raise business(DUPLICATE, f"client_order_id {o.client_order_id} was already "
                                              "used")
        combo_rules(orders)
        self.rules.check_funds(account, orders, at)
        return orders, combo_id

    # ---------------------------------------------------------------- writes
    async def preview(self, request: Request) -> Response:
        caller, data = await self._body(request, "order_preview")
        account = self._account(caller, data.get("account_id"))
        items = data.get("new_orders")
        if isinstance(items, list) and any(isinstance(i, dict) and i.get("instrument_type")
                                           == "CRYPTO" for i in items):
            raise invalid_parameter("crypto orders cannot be previewed")
        at = self._now()
        orders, _ = self._new_orders(account, data, at, check_duplicates=False)
        entry = [o for o in orders if o.combo_type in ("NORMAL", "MASTER")] or orders[:1]
        cost = fee = ZERO
        for o in entry:
            _, c, f = self.book.costs.estimate(o, at)
            cost += c
            fee += f
        return JSONResponse({"estimated_cost": f"{cost:.2f}",
                             "estimated_transaction_fee": f"{fee:.2f}"})

    async def place(self, request: Request) -> Response:
        caller, data = await self._body(request, "order_write")
        account = self._account(caller, data.get("account_id"))
        at = self._now()
        orders, combo_id = self._new_orders(account, data, at, check_duplicates=True)
        client_combo = data.get("client_combo_order_id")
        if client_combo is not None and (not isinstance(client_combo, str)
                                         or not CLIENT_ID.fullmatch(client_combo)):
            raise invalid_parameter("client_combo_order_id must be 1-32 letters and digits")
        hold_for_master(orders)
        self.book.add(orders, at)
        if not combo_id:
            return JSONResponse({"client_order_id": orders[0].client_order_id,
                                 "order_id": orders[0].order_id})
        generated = client_combo or self.book.ids.token(32)
        return JSONResponse({"client_combo_order_id": generated, "combo_order_id": combo_id})

    async def batch_place(self, request: Request) -> Response:
        caller, data = await self._body(request, "order_write")
        account = self._account(caller, data.get("account_id"))
        items = fields.object_list(data, "batch_orders")
        if len(items) > MAX_BATCH:
            raise invalid_parameter(f"at most {MAX_BATCH} orders per batch")
        at = self._now()
        results: list[dict[str, Any]] = []
        seen: set[str] = set()
        for item in items:
            client_id = item.get("client_order_id") if isinstance(item, dict) else None
            try:
                if not isinstance(item, dict):
                    raise invalid_parameter("each order must be a JSON object")
                for name, allowed in (("combo_type", {"NORMAL"}), ("entrust_type", {"QTY"}),
                                      ("instrument_type", {"EQUITY"}),
                                      ("order_type", {"MARKET", "LIMIT"}),
                                      ("side", {"BUY", "SELL"}), ("time_in_force", {"DAY"}),
                                      ("support_trading_session", {"CORE", "ALL", "NIGHT"})):
                    fields.enum(item, name, allowed, True)
                order = self.rules.build(account, item, at)
                if order.client_order_id in seen or self.book.get(
                        account.account_id, order.client_order_id):
                    raise business(DUPLICATE, "client_order_id was already used")
                self.rules.check_funds(account, [order], at)
                self.book.add([order], at)
                seen.add(order.client_order_id)
                results.append({"client_order_id": order.client_order_id,
                                "order_id": order.order_id})
            except SimError as exc:
                results.append({"client_order_id": client_id if isinstance(client_id, str)
                                else "", "error_code": exc.code_for(caller.channel),
                                "message": exc.message})
        failed = sum(1 for r in results if "error_code" in r)
        return JSONResponse({"total": len(results), "success": len(results) - failed,
                             "failed": failed, "batch_orders": results})

    async def cancel(self, request: Request) -> Response:
        caller, data = await self._body(request, "order_write")
        account = self._account(caller, data.get("account_id"))
        order = self.book.find(account, data.get("client_order_id"))
        if order.final:
            raise invalid_parameter(f"the order is already {order.status}")
        self.book.cancel(order, self._now())
        return JSONResponse({"client_order_id": order.client_order_id,
                             "order_id": order.order_id})

    async def replace(self, request: Request) -> Response:
        caller, data = await self._body(request, "order_write")
        account = self._account(caller, data.get("account_id"))
        items = fields.object_list(data, "modify_orders")
        at = self._now()
        plans = [replace_plan(self.book, account, item) for item in items]
        apply_plans(self.book, account, plans, at)
        first = plans[0][0]
        if first.combo_order_id and len(plans) > 1:
            return JSONResponse({"client_combo_order_id": data.get("client_combo_order_id")
                                 or "", "combo_order_id": first.combo_order_id})
        return JSONResponse({"client_order_id": first.client_order_id,
                             "order_id": first.order_id})

    # ---------------------------------------------------------------- queries
    async def _query(self, request: Request, group: str) -> tuple[Caller, Account]:
        caller = await self.state.auth.authenticate(request, group)
        account = self._account(caller, one_param(request, "account_id", required=True))
        self.book.sync()
        return caller, account

    def _page(self, request: Request, groups: list[list[Order]],
              keep: Callable[[list[Order]], bool], **condition: object) -> Response:
        """One page of ``groups`` (newest first) that ``keep`` selects. The key holds the last
        group shown; the next page starts after it even if that group has since left the
        selection (an open order that filled meanwhile)."""
        size = self.state.config.page_size
        fingerprint = condition_of(**condition)
        key = one_param(request, "pagination_key")
        after, index = None, 0
        if key:
            data = decode_key(key)
            if data.get("condition") != fingerprint:
                raise invalid_parameter("pagination_key does not belong to this query")
            last = next((g for g in groups if g[0].order_id == data["lastId"]), None)
            if last is None:
                raise invalid_parameter("pagination_key is no longer valid")
            after, index = last[0].seq, int(data.get("pageIndex", 0)) + 1
        chosen = [g for g in groups if (after is None or g[0].seq < after) and keep(g)]
        page = chosen[:size]
        next_key = encode_key(page[-1][0].order_id, index, size, fingerprint) \
            if len(chosen) > size else None
        return JSONResponse(paged_body([wire_group(g) for g in page], next_key))

    async def open_orders(self, request: Request) -> Response:
        _, account = await self._query(request, "open_orders")
        return self._page(request, self.book.groups(account.account_id),
                          lambda g: any(o.status not in FINAL for o in g), kind="open",
                          account=account.account_id)

    async def history(self, request: Request) -> Response:
        _, account = await self._query(request, "order_history")
        now = self._now()
        end = fields.timestamp(one_param(request, "end_time"), "end_time") or now
        start = fields.timestamp(one_param(request, "start_time"), "start_time") \
            or end - timedelta(days=7)
        if start > end:
            raise invalid_parameter("start_time is after end_time")
        return self._page(request, self.book.groups(account.account_id),
                          lambda g: start <= g[0].place_time <= end, kind="history",
                          account=account.account_id, start=iso_millis(start),
                          end=iso_millis(end))

    async def detail(self, request: Request) -> Response:
        _, account = await self._query(request, "order_detail")
        order = self.book.find(account, one_param(request, "client_order_id", required=True))
        return JSONResponse(wire_group(self.book.group_of(order)))

