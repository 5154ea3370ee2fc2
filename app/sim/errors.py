"""Webull's error envelope (API.md §9) and the exceptions handlers raise to produce it.

Every error body is ``{"error_code": …, "message": …}``. Business errors (HTTP 417) answered to a
Connect caller (Bearer token) carry the ``OAUTH_`` prefix of the Connect gateway (API.md §2.6):
``OPENAPI_NO_TRADING_TIME`` becomes ``OAUTH_OPENAPI_NO_TRADING_TIME``, and the Trading API's
``INVALID_PARAMETER`` becomes ``OAUTH_OPENAPI_PARAM_ERR`` (the code seen from Connect).
Authentication errors (401) and the OAuth endpoints' own codes are never prefixed.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

UNAUTHORIZED = "UNAUTHORIZED"
INVALID_TOKEN = "INVALID_TOKEN"
INVALID_PARAMETER = "INVALID_PARAMETER"
SYSTEM_ERROR = "SYSTEM_ERROR"
TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
NOT_FOUND = "NOT_FOUND"
TOKEN_AUTH_CODE_ERROR = "token.auth.code.error"

#: Trading API code → Connect code, where it is not simply ``OAUTH_`` + code
_CONNECT_CODES = {
    INVALID_PARAMETER: "OAUTH_OPENAPI_PARAM_ERR",
    # observed both ways (API.md §9.2): unprefixed on the Trading API, with OPENAPI_ on Connect
    "DAY_BUYING_POWER_INSUFFICIENT": "OAUTH_OPENAPI_DAY_BUYING_POWER_INSUFFICIENT",
}


class SimError(Exception):
    """An error answer. ``business`` errors get the Connect prefix for Bearer callers."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        business: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.business = business
        self.headers = dict(headers or {})

    def code_for(self, channel: str | None) -> str:
        if self.business and channel == "connect" and not self.code.startswith("OAUTH_"):
            return _CONNECT_CODES.get(self.code, "OAUTH_" + self.code)
        return self.code

    def response(self, channel: str | None = None) -> JSONResponse:
        return error_response(self.status, self.code_for(channel), self.message, self.headers)


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {"error_code": code, "message": message}
    return JSONResponse(body, status, headers=dict(headers or {}))


def unauthorized(message: str, code: str = UNAUTHORIZED) -> SimError:
    return SimError(401, code, message)


def invalid_parameter(message: str) -> SimError:
    return SimError(417, INVALID_PARAMETER, message, business=True)


def business(code: str, message: str) -> SimError:
    return SimError(417, code, message, business=True)


def not_found(path: str) -> SimError:
    return SimError(404, NOT_FOUND, f"no such endpoint: {path}")
