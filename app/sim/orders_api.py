"""The order endpoints (API.md §6.6–6.13): preview, place, batch place, replace, cancel, open
orders, order history and order detail, on both the Trading API and the Connect paths.

Error codes: the documented/observed ones of API.md §9.2 where one fits (OPENAPI_PARAM_ERR for
bad fields, unknown or final orders); a repeated ``client_order_id`` gets the simulator's own
``OPENAPI_CLIENT_ORDER_ID_DUPLICATE`` (no code is documented), so that a client reconciling an
"outcome unknown" write can tell "already placed" from other refusals.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .accounts import Account
from .assets_api import one_param, trading_routes
from .auth import Caller
from .errors import INVALID_TOKEN, SimError, business, invalid_parameter, unauthorized
from .orders import (
    CLIENT_ID,
    FINAL,
    ORDER_TYPES,
    ZERO,
    Order,
    OrderRules,
    _enum,
    _number,
    _on_step,
)
from .wire import condition_of, decode_key, encode_key, iso_millis, paged_body

if TYPE_CHECKING:
    from .state import SimState

DUPLICATE = "OPENAPI_CLIENT_ORDER_ID_DUPLICATE"
MAX_BATCH = 50
REPLACE_FIELDS = {"client_order_id", "time_in_force", "stop_price", "limit_price", "quantity",
                  "order_type", "trailing_type", "trailing_stop_step", "target_vol_percent",
                  "max_target_percent", "algo_start_time", "algo_end_time", "legs"}
#: futures replace (API.md §6.9): order type → (fields it may change, types it may become)
FUTURES_REPLACE = {
    "MARKET": ({"quantity"}, set()),
    "LIMIT": ({"order_type", "time_in_force", "quantity", "limit_price"}, {"MARKET"}),
    "STOP_LOSS": ({"order_type", "time_in_force", "quantity", "stop_price"}, {"MARKET"}),
    "STOP_LOSS_LIMIT": ({"order_type", "time_in_force", "quantity", "limit_price",
                         "stop_price"}, {"LIMIT"}),
    "TRAILING_STOP_LOSS": ({"trailing_stop_step"}, set()),
}
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def _combo_rules(orders: list[Order]) -> None:
    """Combo membership rules (the sub-order table of orderDetail.json, API.md §6.13)."""
    types = [o.combo_type for o in orders]
    if len(orders) == 1 and types[0] == "NORMAL":
        return
    if "NORMAL" in types:
        raise invalid_parameter("a NORMAL order is placed alone")
    kinds = {o.instrument_type for o in orders}
    if kinds - {"EQUITY", "OPTION"} or len(kinds) > 1:
        raise invalid_parameter("combos are for stock orders, or single-leg option orders")
    if "OPTION" in kinds:
        if any(o.option_strategy != "SINGLE" for o in orders):
            raise invalid_parameter("multi-leg option orders support only combo_type NORMAL")
        if set(types) - {"MASTER", "STOP_PROFIT", "STOP_LOSS"}:
            raise invalid_parameter("option orders do not support OTO, OCO or OTOCO")
    masters = [o for o in orders if o.combo_type == "MASTER"]
    if len(masters) > 1:
        raise invalid_parameter("a combo has one MASTER order")
    children = [o for o in orders if o.combo_type != "MASTER"]
    child_types = {o.combo_type for o in children}
    if len(child_types) != 1 and child_types != {"STOP_PROFIT", "STOP_LOSS"}:
        raise invalid_parameter("the sub-orders of a combo must be of one kind")
    kind = next(iter(child_types)) if child_types else ""

    def allowed(order: Order, types_: set[str]) -> None:
        if order.order_type not in types_:
            raise invalid_parameter(f"{order.combo_type} orders cannot be {order.order_type}")

    def count(name: str, low: int, high: int) -> None:
        n = sum(1 for o in children if o.combo_type == name)
        if not low <= n <= high:
            raise invalid_parameter(f"a combo takes {low}-{high} {name} orders")

    stop_types = {"LIMIT", "STOP_LOSS", "STOP_LOSS_LIMIT"}
    if child_types <= {"STOP_PROFIT", "STOP_LOSS"}:
        count("STOP_PROFIT", 0, 1)
        count("STOP_LOSS", 0, 1)
        if not children:
            raise invalid_parameter("a MASTER order needs a STOP_PROFIT or STOP_LOSS order")
        for m in masters:
            allowed(m, {"MARKET", "LIMIT"})
        for o in children:
            allowed(o, {"LIMIT"} if o.combo_type == "STOP_PROFIT" else {"STOP_LOSS"})
    elif kind == "OCO":
        if masters:
            raise invalid_parameter("OCO orders have no MASTER")
        count("OCO", 2, 6)
        for o in children:
            allowed(o, stop_types)
    elif kind in ("OTO", "OTOCO"):
        if not masters:
            raise invalid_parameter(f"{kind} needs a MASTER order")
        count(kind, 1, 6)
        allowed(masters[0], {"MARKET", "LIMIT", "STOP_LOSS", "STOP_LOSS_LIMIT"})
        for o in children:
            allowed(o, {"MARKET", "LIMIT", "STOP_LOSS", "STOP_LOSS_LIMIT"} if kind == "OTO"
                    else stop_types)
    if masters:
        master = masters[0]
        for o in children:
            if o.symbol != master.symbol:
                raise invalid_parameter("the orders of a combo trade one symbol")
            if kind != "OTO" and o.side == master.side:
                raise invalid_parameter("take-profit/stop-loss orders close the MASTER order")


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
        items = data.get("new_orders")
        if not isinstance(items, list) or not items:
            raise invalid_parameter("new_orders is required")
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
        _combo_rules(orders)
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
            _, c, f = self.book.estimate(o, at)
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
        masters = {o.symbol for o in orders if o.combo_type == "MASTER"}
        for o in orders:
            if o.combo_type != "MASTER" and o.combo_type != "OCO" and masters:
                o.active = False
                o.status = "PENDING"
        self.book.add(orders, at)
        if not combo_id:
            return JSONResponse({"client_order_id": orders[0].client_order_id,
                                 "order_id": orders[0].order_id})
        generated = client_combo or self.book.ids.token(32)
        return JSONResponse({"client_combo_order_id": generated, "combo_order_id": combo_id})

    async def batch_place(self, request: Request) -> Response:
        caller, data = await self._body(request, "order_write")
        account = self._account(caller, data.get("account_id"))
        items = data.get("batch_orders")
        if not isinstance(items, list) or not items:
            raise invalid_parameter("batch_orders is required")
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
                    _enum(item, name, allowed, True)
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

    def _find(self, account: Account, client_order_id: Any) -> Order:
        if not isinstance(client_order_id, str) or not client_order_id:
            raise invalid_parameter("client_order_id is required")
        order = self.book.get(account.account_id, client_order_id)
        if order is None:
            raise invalid_parameter(f"no order {client_order_id} in this account")
        return order

    async def cancel(self, request: Request) -> Response:
        caller, data = await self._body(request, "order_write")
        account = self._account(caller, data.get("account_id"))
        order = self._find(account, data.get("client_order_id"))
        if order.final:
            raise invalid_parameter(f"the order is already {order.status}")
        self.book.cancel(order, self._now())
        return JSONResponse({"client_order_id": order.client_order_id,
                             "order_id": order.order_id})

    async def replace(self, request: Request) -> Response:
        caller, data = await self._body(request, "order_write")
        account = self._account(caller, data.get("account_id"))
        items = data.get("modify_orders")
        if not isinstance(items, list) or not items:
            raise invalid_parameter("modify_orders is required")
        at = self._now()
        plans = [self._replace_plan(account, item, at) for item in items]
        targets = [order for order, _ in plans]
        backups = [dict(vars(o)) for o in targets]
        leg_backups = [[leg.quantity for leg in o.legs] for o in targets]
        held_before = account.frozen
        spare = self.book.buying_power(account)
        try:
            for order, changes in plans:
                for name, value in changes.items():
                    if name == "legs":
                        for leg in order.legs:
                            leg.quantity = value[leg.leg_id]
                    elif name == "extra":
                        order.extra = {**order.extra, **value}
                    else:
                        setattr(order, name, value)
                if order.order_type in ("MARKET", "LIMIT", "TRAILING_STOP_LOSS"):
                    order.stop_price = None if order.order_type != "TRAILING_STOP_LOSS" \
                        else order.stop_price
                if order.order_type == "MARKET":
                    order.limit_price = None
                order.expires_at = self.book.expiry(order, order.place_time)
            self.book.refresh_frozen(account, at)
            if account.frozen - held_before > spare:
                raise business("DAY_BUYING_POWER_INSUFFICIENT", "Insufficient day buying power")
        except SimError:
            for order, backup, legs in zip(targets, backups, leg_backups, strict=True):
                vars(order).update(backup)
                for leg, quantity in zip(order.legs, legs, strict=True):
                    leg.quantity = quantity
            self.book.refresh_frozen(account, at)
            raise
        for order in targets:
            if order.active:
                self.book.evaluate(order, at)
        self.book.refresh_frozen(account, at)
        first = targets[0]
        if first.combo_order_id and len(targets) > 1:
            return JSONResponse({"client_combo_order_id": data.get("client_combo_order_id")
                                 or "", "combo_order_id": first.combo_order_id})
        return JSONResponse({"client_order_id": first.client_order_id,
                             "order_id": first.order_id})

    def _replace_plan(self, account: Account, item: Any, at: datetime
                      ) -> tuple[Order, dict[str, Any]]:
        if not isinstance(item, dict):
            raise invalid_parameter("each modify order must be a JSON object")
        unknown = set(item) - REPLACE_FIELDS
        if unknown:
            raise invalid_parameter(f"replace cannot change {', '.join(sorted(unknown))}")
        order = self._find(account, item.get("client_order_id"))
        if order.final:
            raise invalid_parameter(f"the order is already {order.status}")
        if order.instrument_type == "CRYPTO":
            raise invalid_parameter("crypto orders cannot be replaced")
        given = {k for k, v in item.items() if k != "client_order_id" and v not in (None, "")}
        if not given:
            raise invalid_parameter("nothing to change")
        if order.instrument_type == "FUTURES":
            fields, types = FUTURES_REPLACE[order.order_type]
            if given - fields:
                raise invalid_parameter(f"a futures {order.order_type} order cannot change "
                                        f"{', '.join(sorted(given - fields))}")
            new_type = item.get("order_type")
            if new_type and new_type != order.order_type and new_type not in types:
                raise invalid_parameter(f"a futures {order.order_type} order cannot become "
                                        f"{new_type}")
        changes: dict[str, Any] = {}
        new_type = _enum(item, "order_type", {"MARKET", "LIMIT", "STOP_LOSS", "STOP_LOSS_LIMIT",
                                              "TRAILING_STOP_LOSS"}) or order.order_type
        if new_type not in ORDER_TYPES[order.instrument_type]:
            raise invalid_parameter(f"order_type {new_type} is not supported here")
        if new_type != order.order_type:
            changes["order_type"] = new_type
        tif = _enum(item, "time_in_force", {"DAY", "GTC"})
        if tif:
            if order.instrument_type == "OPTION" and order.side == "SELL" and tif != "DAY":
                raise invalid_parameter("sell-side option orders take time_in_force DAY only")
            changes["time_in_force"] = tif
        limit = _number(item, "limit_price")
        stop = _number(item, "stop_price")
        if new_type in ("LIMIT", "STOP_LOSS_LIMIT") and limit is None and \
                order.limit_price is None:
            raise invalid_parameter("limit_price is required for " + new_type)
        if new_type in ("STOP_LOSS", "STOP_LOSS_LIMIT") and stop is None and \
                order.stop_price is None:
            raise invalid_parameter("stop_price is required for " + new_type)
        if limit is not None:
            if new_type not in ("LIMIT", "STOP_LOSS_LIMIT"):
                raise invalid_parameter("limit_price is not allowed for " + new_type)
            self._tick(order, limit)
            changes["limit_price"] = limit
        if stop is not None:
            if new_type not in ("STOP_LOSS", "STOP_LOSS_LIMIT"):
                raise invalid_parameter("stop_price is not allowed for " + new_type)
            self._tick(order, stop)
            changes["stop_price"] = stop
        step = _number(item, "trailing_stop_step")
        if step is not None:
            if order.order_type != "TRAILING_STOP_LOSS":
                raise invalid_parameter("trailing_stop_step is for trailing stop orders")
            changes["trailing_step"] = step
        quantity = _number(item, "quantity")
        if quantity is not None:
            if order.entrust_type == "AMOUNT":
                raise invalid_parameter("AMOUNT orders cannot change their quantity")
            if quantity != quantity.to_integral() and order.instrument_type != "EQUITY":
                raise invalid_parameter("quantity must be whole")
            if quantity <= order.filled_qty:
                raise invalid_parameter("the new quantity must exceed the filled quantity")
            changes["quantity"] = quantity
        if order.instrument_type == "OPTION":
            legs = item.get("legs")
            if quantity is not None or legs:
                if not isinstance(legs, list) or len(legs) != len(order.legs):
                    raise invalid_parameter("option replaces list every leg: legs[{id, "
                                            "quantity}]")
                by_id: dict[str, Decimal] = {}
                for leg in legs:
                    if not isinstance(leg, dict) or set(leg) != {"id", "quantity"}:
                        raise invalid_parameter("each leg is {id, quantity}")
                    qty = _number(leg, "quantity", True)
                    assert qty is not None
                    by_id[str(leg["id"])] = qty
                if set(by_id) != {leg.leg_id for leg in order.legs}:
                    raise invalid_parameter("leg ids do not match the order's legs")
                units = quantity or order.quantity
                for leg in order.legs:
                    ratio = leg.quantity / order.quantity
                    if by_id[leg.leg_id] != ratio * units:
                        raise invalid_parameter("leg quantities must keep the strategy's ratio")
                changes["legs"] = by_id
        elif item.get("legs"):
            raise invalid_parameter("legs are for option orders")
        algo: dict[str, str] = {}
        for name in ("target_vol_percent", "max_target_percent", "algo_start_time",
                     "algo_end_time", "trailing_type"):
            value = item.get(name)
            if value in (None, ""):
                continue
            if name == "trailing_type" and order.order_type == "TRAILING_STOP_LOSS" and \
                    value in ("AMOUNT", "PERCENTAGE"):
                changes["trailing_type"] = value
            elif name in order.extra and isinstance(value, str):
                algo[name] = value
            else:
                raise invalid_parameter(f"{name} cannot be changed on this order")
        if algo:
            changes["extra"] = algo
        return order, changes

    def _tick(self, order: Order, price: Decimal) -> None:
        kind = order.instrument_type
        if kind == "FUTURES":
            tick = self.book.catalog.futures[order.symbol].tick
        elif kind == "EQUITY":
            tick = Decimal("0.01") if price >= 1 else Decimal("0.0001")
        else:
            tick = Decimal("0.01")
        if kind == "EVENT" and not Decimal("0.01") <= price <= Decimal("0.99"):
            raise invalid_parameter("event prices are $0.01-$0.99")
        if not _on_step(price, tick):
            raise invalid_parameter(f"price {price} is not a multiple of the tick {tick}")

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
        return JSONResponse(paged_body([self.book.wire_group(g) for g in page], next_key))

    async def open_orders(self, request: Request) -> Response:
        _, account = await self._query(request, "open_orders")
        return self._page(request, self.book.groups(account.account_id),
                          lambda g: any(o.status not in FINAL for o in g), kind="open",
                          account=account.account_id)

    async def history(self, request: Request) -> Response:
        _, account = await self._query(request, "order_history")
        now = self._now()
        end = _time(one_param(request, "end_time"), "end_time") or now
        start = _time(one_param(request, "start_time"), "start_time") or end - timedelta(days=7)
        if start > end:
            raise invalid_parameter("start_time is after end_time")
        return self._page(request, self.book.groups(account.account_id),
                          lambda g: start <= g[0].place_time <= end, kind="history",
                          account=account.account_id, start=iso_millis(start),
                          end=iso_millis(end))

    async def detail(self, request: Request) -> Response:
        _, account = await self._query(request, "order_detail")
        order = self._find(account, one_param(request, "client_order_id", required=True))
        return JSONResponse(self.book.wire_group(self.book.group_of(order)))


def _time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        if len(value) != 24:
            raise ValueError
        return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise invalid_parameter(f"{name} must be yyyy-MM-ddTHH:mm:ss.SSSZ") from None
