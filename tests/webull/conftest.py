"""Fixtures for the Qt-free client: example payloads, credentials and a mock Webull."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.webull.environments import Environment, get_environment
from app.webull.oauth import ConnectCredentials
from app.webull.ratelimit import WEBULL_LIMITS, Limit, RateLimiter
from app.webull.transport import RetryPolicy, Transport

from .openapi_support import load_examples




@pytest.fixture(scope="session")
def examples() -> dict[str, Any]:
    return load_examples()


@pytest.fixture(scope="session")
def fixtures(examples: dict[str, Any]) -> dict[str, Any]:
    return examples["_meta"]["fixtures"]


@pytest.fixture
def creds(fixtures: dict[str, Any]) -> ConnectCredentials:
    client = fixtures["oauth_client"]
    return ConnectCredentials(
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        app_key=fixtures["app_key"],
        app_secret=fixtures["app_secret"],
        scope=client["scope"],
        redirect_uri=client["redirect_uri"],
    )


@pytest.fixture
def sandbox() -> Environment:
    return get_environment("sandbox")


class Recorder:
    """Collects the sleeps the retry policy asks for, without sleeping."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


@pytest.fixture
def sleeps() -> Recorder:
    return Recorder()


#: generous limits for tests that are not about rate limiting (retries must not wait on them)
UNLIMITED = {group: Limit(10_000, 1) for group in WEBULL_LIMITS}


@pytest.fixture
async def transport_factory(
    sandbox: Environment, creds: ConnectCredentials, sleeps: Recorder
) -> AsyncIterator[Any]:
    """Build a Transport over an httpx MockTransport handler, with its own limiter (by default
    one that never waits; pass ``limiter=RateLimiter()`` to test Webull's limits)."""
    made: list[Transport] = []

    def make(handler: Any, *, environment: Environment | None = None,
             limiter: RateLimiter | None = None, attempts: int = 4) -> Transport:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        t = Transport(
            environment or sandbox, creds.signing_key, http=http,
            limiter=limiter or RateLimiter(UNLIMITED), retry=RetryPolicy(attempts=attempts, sleep=sleeps.sleep),
        )
        made.append(t)
        return t

    yield make
    for t in made:
        await t._http.aclose()


def json_response(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers={"x-request-id": "req-1", **headers})
