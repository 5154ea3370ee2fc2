"""Account, balance and position endpoints (API.md §6.1–6.4) and the Trading API 2FA token
endpoints (§3.4).

An ``account_id`` that is not the caller's is refused with HTTP 401 ``INVALID_TOKEN``
"app_id and account_id not related" — the one answer Webull documents for this case (the G1
error example, examples.json ``errors.401_legacy_invalid_token``). Unknown and foreign accounts
get the same answer, so a caller cannot probe which account ids exist.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .accounts import Account, Valuer
from .auth import CONNECT_PREFIX, Caller, query_pairs
from .errors import INVALID_TOKEN, invalid_parameter, unauthorized
from .wire import epoch_millis

if TYPE_CHECKING:
    from .state import SimState


def trading_routes(path: str, endpoint: Any, methods: list[str]) -> list[Route]:
    """A trading path, also served under the Connect prefix (contradiction C4)."""
    return [Route(path, endpoint, methods=methods),
            Route(CONNECT_PREFIX + path, endpoint, methods=methods)]


def one_param(request: Request, name: str, required: bool = False) -> str | None:
    values = [v for k, v in query_pairs(request) if k == name]
    if len(values) > 1:
        raise invalid_parameter(f"{name} is repeated")
    value = values[0].strip() if values else None
    if required and not value:
        raise invalid_parameter(f"{name} is required")
    return value or None


class AssetsApi:
    def __init__(self, state: SimState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        routes = trading_routes("/trading/accounts/list", self.accounts, ["GET"])
        routes += trading_routes("/trading/assets/balances/get", self.balance, ["GET"])
        routes += trading_routes("/trading/assets/positions/list", self.positions, ["GET"])
        for path in ("/auth/tokens/create", "/openapi/auth/token/create"):
            routes.append(Route(path, self.token_create, methods=["POST"]))
        for path in ("/auth/tokens/check", "/openapi/auth/token/check"):
            routes.append(Route(path, self.token_check, methods=["POST"]))
        return routes

    def _account(self, request: Request, caller: Caller) -> Account:
        account_id = one_param(request, "account_id", required=True)
        account = self.state.registry.account(account_id or "")
        if account is None or account.owner != caller.user.identity_id:
            raise unauthorized("app_id and account_id not related", INVALID_TOKEN)
        return account

    def _valuer(self) -> Valuer:
        return Valuer(self.state.market, java_style=self.state.config.java_number_style)

    async def accounts(self, request: Request) -> Response:
        caller = await self.state.auth.authenticate(request, "accounts")
        return JSONResponse([a.wire() for a in caller.user.accounts])

    async def balance(self, request: Request) -> Response:
        caller = await self.state.auth.authenticate(request, "balances")
        self.state.orders.sync()
        return JSONResponse(self._valuer().balance(self._account(request, caller)))

    async def positions(self, request: Request) -> Response:
        caller = await self.state.auth.authenticate(request, "positions")
        self.state.orders.sync()
        valuer = self._valuer()
        account = self._account(request, caller)
        return JSONResponse([valuer.position(p) for p in account.positions])

    # ---------------------------------------------------------------- 2FA tokens
    async def _token_request(self, request: Request) -> tuple[str, dict[str, Any]]:
        body = await request.body()
        request.state.channel = "trading"
        app_key = self.state.auth.verify_signature(request, body)
        if self.state.registry.trading_app(app_key) is None:
            raise unauthorized("this app key cannot create Trading API tokens")
        if request.headers.get("x-version") not in (None, "v2", "v3"):
            raise invalid_parameter("x-version must be v2 or v3")
        self.state.limiter.check(app_key, "trading_tokens")
        try:
            data = json.loads(body) if body.strip() else {}
        except ValueError:
            raise invalid_parameter("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise invalid_parameter("the body must be a JSON object")
        return app_key, data

    def _token_body(self, token: Any) -> JSONResponse:
        return JSONResponse({"token": token.token, "expires": epoch_millis(token.expires_at),
                             "status": token.status})

    async def token_create(self, request: Request) -> Response:
        app_key, data = await self._token_request(request)
        existing = data.get("token")
        if existing is not None and not isinstance(existing, str):
            raise invalid_parameter("token must be a string")
        return self._token_body(self.state.trading_tokens.create(app_key, existing or None))

    async def token_check(self, request: Request) -> Response:
        app_key, data = await self._token_request(request)
        token = data.get("token")
        if not isinstance(token, str) or not token:
            raise invalid_parameter("token is required")
        return self._token_body(self.state.trading_tokens.check(app_key, token))
