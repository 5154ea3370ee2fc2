"""HTTP transport: signed requests, rate limits, GET-only retries and error mapping.

One ``Transport`` per (environment, app key). Every request:
1. waits for a slot of its endpoint's rate-limit group (shared per app key);
2. is signed (API.md §3.2) and carries ``x-version`` and, under Connect, ``Authorization:
   Bearer`` (contradiction C5: both signature and Bearer are sent);
3. is mapped to a typed error on failure. GETs are retried with capped exponential backoff and
   full jitter, honouring ``Retry-After``; POSTs never are. An order write whose response never
   arrived raises ``OutcomeUnknownError`` so that the caller reconciles instead of resending.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import truststore
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

from .endpoints import Endpoint
from .environments import Environment
from .errors import (
    ApiError,
    AuthError,
    BusinessRejectionError,
    OutcomeUnknownError,
    PermissionDeniedError,
    RateLimitedError,
    ResponseDecodeError,
    ServerError,
    TransportError,
    UnexpectedStatusError,
    WebullError,
)
from .ratelimit import RateLimiter, limiter_for_app_key
from .signing import SigningKey, sign_headers

log = logging.getLogger(__name__)

QueryValue = str | Sequence[str] | None
TokenSource = Callable[[], Awaitable[str]]

#: exceptions raised before any byte of the request could have reached the server
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@dataclass(frozen=True)
class RetryPolicy:
    """How GET requests are retried: transport failures, 429 and 5xx only."""

    attempts: int = 4
    base_s: float = 0.5
    cap_s: float = 8.0
    max_retry_after_s: float = 60.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)

    def retryable(self, exc: BaseException) -> bool:
        if isinstance(exc, RateLimitedError):
            # a server asking for a longer pause than we would wait is not retried early:
            # repeated breaches can get the client's address blocked (API.md §10)
            return exc.retry_after is None or exc.retry_after <= self.max_retry_after_s
        return isinstance(exc, TransportError | ServerError)

    def wait(self, state: RetryCallState) -> float:
        """Full jitter: uniform(0, min(cap, base·2^n)); never sooner than Retry-After."""
        delay = wait_random_exponential(multiplier=self.base_s, max=self.cap_s)(state)
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        return delay


NO_RETRY = RetryPolicy(attempts=1)


@dataclass(frozen=True)
class ApiResponse:
    status: int
    data: Any
    request_id: str | None


def default_http_client(timeout: httpx.Timeout | None = None) -> httpx.AsyncClient:
    """An httpx client trusting the OS certificate store (users' machines have no SSL_CERT_FILE)."""
    return httpx.AsyncClient(
        verify=truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT),
        timeout=timeout or httpx.Timeout(connect=5.0, read=15.0, write=10.0, pool=5.0),
        limits=httpx.Limits(max_connections=10, max_keepalive_connections=10),
        follow_redirects=False,
        trust_env=False,
    )


def encode_json(body: Any) -> bytes:
    """Compact JSON exactly as signed: separators ``,`` ``:`` and raw UTF-8 (§3.2)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _query_pairs(query: Mapping[str, QueryValue] | None) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in (query or {}).items():
        if value is None:
            continue
        if isinstance(value, str):
            pairs.append((name, value))
        else:
            pairs.extend((name, v) for v in value)
    return pairs


def _retry_after(header: str | None) -> float | None:
    if not header:
        return None
    header = header.strip()
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


_STATUS_ERRORS: dict[int, type[ApiError]] = {
    401: AuthError,
    403: PermissionDeniedError,
    417: BusinessRejectionError,
    429: RateLimitedError,
}


def _api_error(response: httpx.Response, endpoint: Endpoint) -> ApiError:
    code: str | None = None
    message: str | None = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = body.get("error_code") if isinstance(body.get("error_code"), str) else None
        message = body.get("message") if isinstance(body.get("message"), str) else None
    status = response.status_code
    if message is None:
        message = f"HTTP {status} {response.reason_phrase}".strip()
    kw: dict[str, Any] = dict(
        status=status,
        error_code=code,
        request_id=response.headers.get("x-request-id"),
        endpoint=endpoint.name,
    )
    if status == 429:
        return RateLimitedError(
            message, retry_after=_retry_after(response.headers.get("retry-after")), **kw
        )
    cls = _STATUS_ERRORS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else UnexpectedStatusError
    return cls(message, **kw)


def _decode(response: httpx.Response, endpoint: Endpoint) -> Any:
    request_id = response.headers.get("x-request-id")
    ctype = response.headers.get("content-type", "")
    size = len(response.content)
    if "json" not in ctype.lower():
        raise ResponseDecodeError(
            f"expected a JSON response, got {ctype or 'no content type'} ({size} bytes)",
            status=response.status_code, request_id=request_id, endpoint=endpoint.name,
        )
    try:
        return json.loads(response.content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        # never quote the body: it may hold tokens
        position = getattr(exc, "pos", None)
        where = f" at byte {position}" if position is not None else ""
        raise ResponseDecodeError(
            f"malformed JSON response ({size} bytes){where}",
            status=response.status_code, request_id=request_id, endpoint=endpoint.name,
        ) from None


class Transport:
    """Sends signed requests to one environment with one app key."""

    def __init__(
        self,
        environment: Environment,
        key: SigningKey,
        *,
        http: httpx.AsyncClient | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.environment = environment
        self._key = key
        self._http = http or default_http_client()
        self._owns_http = http is None
        self.limiter = limiter or limiter_for_app_key(key.app_key)
        self.retry = retry or RetryPolicy()

    def __repr__(self) -> str:
        return f"Transport(environment={self.environment.name!r}, app_key={self._key.app_key!r})"

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    def path_for(self, endpoint: Endpoint) -> str:
        prefix = self.environment.connect_path_prefix if endpoint.connect_prefixed else ""
        return prefix + endpoint.path

    async def request(
        self,
        endpoint: Endpoint,
        *,
        query: Mapping[str, QueryValue] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        token: TokenSource | None = None,
    ) -> ApiResponse:
        """Send one call (retried only if it is a GET) and return its decoded JSON.

        The Bearer token is obtained once, before any slot is taken or anything is signed: a
        refresh it triggers is a POST of its own and must never run inside the GET retries.
        """
        bearer = f"Bearer {await token()}" if token is not None else None
        if endpoint.method != "GET":
            return await self._attempt(endpoint, query, json_body, form, bearer)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=self.retry.wait,
            retry=retry_if_exception(self.retry.retryable),
            sleep=self.retry.sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(endpoint, query, json_body, form, bearer)
        raise AssertionError("unreachable: tenacity re-raises the last failure")

    @staticmethod
    def _log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.info("retrying after %s (attempt %d, waiting %.2fs)", exc, state.attempt_number, wait)

    async def _attempt(
        self,
        endpoint: Endpoint,
        query: Mapping[str, QueryValue] | None,
        json_body: Any,
        form: Mapping[str, str] | None,
        bearer: str | None,
    ) -> ApiResponse:
        # the slot is held until the answer is in: Webull counts the request when it arrives.
        # Signing happens inside, after any wait: the signature carries a timestamp.
        async with self.limiter.slot(endpoint.limit_group) as slot:
            path = self.path_for(endpoint)
            pairs = _query_pairs(query)
            body: bytes | None = None
            headers = {"Accept": "application/json", "x-version": endpoint.x_version}
            if form is not None:
                body = urlencode(list(form.items()), quote_via=quote).encode("ascii")
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            elif json_body is not None:
                body = encode_json(json_body)
                headers["Content-Type"] = "application/json"
            headers.update(
                sign_headers(
                    self._key,
                    host=self.environment.api_host,
                    path=path,
                    query=pairs,
                    body=body if form is None else None,
                    form=list(form.items()) if form is not None else None,
                    algorithm=self.environment.signature_algorithm,
                )
            )
            if bearer is not None:
                headers["Authorization"] = bearer
            url = self.environment.api_base_url + path
            if pairs:
                url += "?" + urlencode(pairs, quote_via=quote)  # RFC 3986: a space is %20
            started = time.perf_counter()
            try:
                response = await self._http.request(endpoint.method, url, content=body,
                                                    headers=headers)
            except httpx.HTTPError as exc:
                if isinstance(exc, _NOT_SENT):
                    self.limiter.withdraw(slot)
                raise self._transport_failure(endpoint, exc) from None
        elapsed_ms = (time.perf_counter() - started) * 1000
        request_id = response.headers.get("x-request-id")
        log.debug(
            "%s %s → %d in %.0f ms (request id %s)",
            endpoint.method, path, response.status_code, elapsed_ms, request_id,
        )
        if not response.is_success:
            error = _api_error(response, endpoint)
            if endpoint.write and isinstance(error, ServerError):
                raise OutcomeUnknownError(
                    f"{endpoint.name}: the server failed after receiving the order; "
                    "its outcome is unknown until the order is looked up",
                    cause=error, status=error.status, error_code=error.error_code,
                    request_id=request_id, endpoint=endpoint.name,
                )
            raise error
        try:
            data = _decode(response, endpoint)
        except ResponseDecodeError as exc:
            if endpoint.write:
                raise OutcomeUnknownError(
                    f"{endpoint.name}: the order was answered but the answer cannot be read",
                    cause=exc, status=response.status_code, request_id=request_id,
                    endpoint=endpoint.name,
                ) from None
            raise
        return ApiResponse(response.status_code, data, request_id)

    def _transport_failure(self, endpoint: Endpoint, exc: httpx.HTTPError) -> WebullError:
        sent = not isinstance(exc, _NOT_SENT)
        what = type(exc).__name__
        error = TransportError(
            f"{endpoint.name}: network failure ({what}){'' if sent else ' before sending'}",
            request_sent=sent, endpoint=endpoint.name,
        )
        if endpoint.write and sent:
            return OutcomeUnknownError(
                f"{endpoint.name}: no answer arrived ({what}); the order may or may not have "
                "been accepted",
                cause=error, endpoint=endpoint.name,
            )
        return error
