"""The catalogue of Webull G3 endpoints the client calls (API.md §5), as data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: Literal["GET", "POST"]
    path: str
    limit_group: str
    #: an order write: a lost response makes the outcome unknown, never retried
    write: bool = False
    x_version: str = "v3"
    #: trading paths take the Connect path prefix (contradiction C4); OAuth paths do not
    connect_prefixed: bool = True


ACCOUNTS = Endpoint("accounts", "GET", "/trading/accounts/list", "accounts")
BALANCES = Endpoint("balances", "GET", "/trading/assets/balances/get", "balances")
POSITIONS = Endpoint("positions", "GET", "/trading/assets/positions/list", "positions")

STOCK_INSTRUMENTS = Endpoint(
    "stock_instruments", "GET", "/trading/instruments/stocks/profiles/list", "instruments"
)
CRYPTO_INSTRUMENTS = Endpoint(
    "crypto_instruments", "GET", "/trading/instruments/crypto/profiles/list", "instruments"
)
FUTURES_CONTRACTS = Endpoint(
    "futures_contracts", "GET", "/trading/instruments/futures/contracts/list", "instruments"
)
OPTION_CONTRACTS = Endpoint(
    "option_contracts", "GET", "/trading/instruments/options/contracts/list", "instruments"
)
EVENT_MARKETS = Endpoint(
    "event_markets", "GET", "/trading/instruments/event-contracts/markets/list", "instruments"
)

PREVIEW = Endpoint("preview", "POST", "/trading/orders/preview", "preview")
PLACE = Endpoint("place", "POST", "/trading/orders/place", "order_write", write=True)
BATCH_PLACE = Endpoint("batch_place", "POST", "/trading/orders/batch-place", "order_write", write=True)
REPLACE = Endpoint("replace", "POST", "/trading/orders/replace", "order_write", write=True)
CANCEL = Endpoint("cancel", "POST", "/trading/orders/cancel", "order_write", write=True)

OPEN_ORDERS = Endpoint("open_orders", "GET", "/trading/orders/open-orders/list", "open_orders")
ORDER_HISTORY = Endpoint(
    "order_history", "GET", "/trading/orders/historical-orders/list", "order_history"
)
ORDER_DETAIL = Endpoint("order_detail", "GET", "/trading/orders/get", "order_detail")

# The Connect token endpoint accepts only x-version v2 (API.md §2.4).
TOKEN_CREATE = Endpoint(
    "token_create", "POST", "/oauth2/tokens/create", "token", x_version="v2", connect_prefixed=False
)

ALL = (
    ACCOUNTS, BALANCES, POSITIONS, STOCK_INSTRUMENTS, CRYPTO_INSTRUMENTS, FUTURES_CONTRACTS,
    OPTION_CONTRACTS, EVENT_MARKETS, PREVIEW, PLACE, BATCH_PLACE, REPLACE, CANCEL, OPEN_ORDERS,
    ORDER_HISTORY, ORDER_DETAIL, TOKEN_CREATE,
)
