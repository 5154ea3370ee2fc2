"""Server-side rate limits per app key (API.md §10)."""

from __future__ import annotations

import httpx

from app.sim import ManualClock, SimServer

from .support import call, connect_tokens, error_of, trading_token

BALANCE = "/trading/assets/balances/get"


def _balance(http: httpx.Client, sim: SimServer, access: str, account: str) -> httpx.Response:
    return call(http, sim, BALANCE, query={"account_id": account}, bearer=access)


def test_balances_two_per_two_seconds(sim: SimServer, clock: ManualClock,
                                      http: httpx.Client) -> None:
    tokens = connect_tokens(http, sim)
    account = call(http, sim, "/trading/accounts/list",
                   bearer=tokens.access_token).json()[0]["account_id"]
    assert _balance(http, sim, tokens.access_token, account).status_code == 200
    assert _balance(http, sim, tokens.access_token, account).status_code == 200
    refused = _balance(http, sim, tokens.access_token, account)
    assert error_of(refused) == (429, "TOO_MANY_REQUESTS")
    assert "retry-after" not in refused.headers  # Webull documents none
    # positions have their own bucket
    positions = call(http, sim, "/trading/assets/positions/list", query={"account_id": account},
                     bearer=tokens.access_token)
    assert positions.status_code == 200
    clock.advance(1.9)
    assert _balance(http, sim, tokens.access_token, account).status_code == 429
    clock.advance(0.1)
    assert _balance(http, sim, tokens.access_token, account).status_code == 200


def test_limits_are_per_app_key(sim: SimServer, http: httpx.Client) -> None:
    tokens = connect_tokens(http, sim)
    for _ in range(10):
        assert call(http, sim, "/trading/accounts/list",
                    bearer=tokens.access_token).status_code == 200
    assert call(http, sim, "/trading/accounts/list",
                bearer=tokens.access_token).status_code == 429
    # the same user through another app key (their own Trading API key) is not affected
    key, token = trading_token(http, sim)
    assert call(http, sim, "/trading/accounts/list", key=key,
                access_token=token).status_code == 200
    # another user of the same partner app shares the partner's bucket
    alice = connect_tokens(http, sim, "alice", "alice1234")
    assert call(http, sim, "/trading/accounts/list",
                bearer=alice.access_token).status_code == 429


def test_instrument_limit_is_sixty_per_minute_and_adjustable(
        sim: SimServer, clock: ManualClock, http: httpx.Client) -> None:
    assert sim.state.limiter.limit("stock_instruments") == (60, 60.0)
    tokens = connect_tokens(http, sim)
    path = "/trading/instruments/stocks/profiles/list"
    query = {"category": "US_STOCK", "symbols": "AAPL"}
    statuses = [call(http, sim, path, query=query, bearer=tokens.access_token).status_code
                for _ in range(61)]
    assert statuses == [200] * 60 + [429]
    crypto = call(http, sim, "/trading/instruments/crypto/profiles/list",
                  query={"category": "US_CRYPTO"}, bearer=tokens.access_token)
    assert crypto.status_code == 200  # a bucket per endpoint
    sim.state.limiter.set_limit("crypto_instruments", 1, 10)
    assert call(http, sim, "/trading/instruments/crypto/profiles/list",
                query={"category": "US_CRYPTO"}, bearer=tokens.access_token).status_code == 429
    clock.advance(60)
    assert call(http, sim, path, query=query, bearer=tokens.access_token).status_code == 200


def test_rate_limits_can_be_disabled(http: httpx.Client) -> None:
    with SimServer(clock=ManualClock(), rate_limits=None) as sim:
        tokens = connect_tokens(http, sim)
        account = call(http, sim, "/trading/accounts/list",
                       bearer=tokens.access_token).json()[0]["account_id"]
        for _ in range(12):
            assert _balance(http, sim, tokens.access_token, account).status_code == 200
    with SimServer(clock=ManualClock()) as sim:
        sim.state.limiter.disable()
        tokens = connect_tokens(http, sim)
        for _ in range(12):
            assert call(http, sim, "/trading/accounts/list",
                        bearer=tokens.access_token).status_code == 200
        sim.state.limiter.enable()
        sim.state.limiter.reset()
        for _ in range(10):
            call(http, sim, "/trading/accounts/list", bearer=tokens.access_token)
        assert call(http, sim, "/trading/accounts/list",
                    bearer=tokens.access_token).status_code == 429
