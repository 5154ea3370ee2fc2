"""Clock skew: the server's clock runs ahead of (or behind) its callers', so their signed
x-timestamp falls outside the ±300 s window and every expiry moves with it."""

from __future__ import annotations

import math
from datetime import timedelta

import httpx
import pytest

from app.sim import ManualClock, SimServer
from app.sim.clock import SkewedClock

from .support import call, connect_tokens, error_of, trading_token

ACCOUNTS = "/trading/accounts/list"
HEADERS = {"x-sim-admin": "1"}


def test_skewed_clock_follows_its_base() -> None:
    base = ManualClock()
    skewed = SkewedClock(base)
    assert skewed.now() == base.now() and skewed.skew_s == 0
    skewed.set_skew(600)
    base.advance(5)
    assert skewed.now() == base.now() + timedelta(seconds=600)
    skewed.set_skew(timedelta(minutes=-2))
    assert skewed.now() == base.now() - timedelta(minutes=2) and skewed.skew_s == -120
    for bad in (math.nan, math.inf, "600", True):
        with pytest.raises(ValueError):
            skewed.set_skew(bad)  # type: ignore[arg-type]
    assert skewed.skew_s == -120


@pytest.mark.parametrize("skew", [600, -600, 301])
def test_skew_puts_signed_calls_outside_the_window(sim: SimServer, http: httpx.Client,
                                                   skew: int) -> None:
    key, token = trading_token(http, sim)
    assert call(http, sim, ACCOUNTS, key=key, access_token=token).status_code == 200
    sim.set_clock_skew(skew)
    refused = call(http, sim, ACCOUNTS, key=key, access_token=token)
    assert error_of(refused) == (401, "UNAUTHORIZED")
    assert "x-timestamp" in refused.json()["message"]
    sim.set_clock_skew(0)
    assert call(http, sim, ACCOUNTS, key=key, access_token=token).status_code == 200


def test_skew_within_the_window_is_tolerated(sim: SimServer, http: httpx.Client) -> None:
    key, token = trading_token(http, sim)
    sim.set_clock_skew(299)
    assert call(http, sim, ACCOUNTS, key=key, access_token=token).status_code == 200


def test_skew_through_the_admin_endpoint(sim: SimServer, http: httpx.Client) -> None:
    sim.config.admin_enabled = True
    tokens = connect_tokens(http, sim)

    def skew(seconds: float) -> None:
        response = http.post(sim.admin_url + "clock/skew", json={"seconds": seconds},
                             headers=HEADERS)
        assert response.status_code == 200 and response.json()["skew_s"] == seconds

    assert call(http, sim, ACCOUNTS, bearer=tokens.access_token).status_code == 200
    skew(600)
    refused = call(http, sim, ACCOUNTS, bearer=tokens.access_token)
    assert error_of(refused) == (401, "UNAUTHORIZED")
    assert refused.json()["message"] == "x-timestamp is outside the allowed time window"
    skew(0)
    assert call(http, sim, ACCOUNTS, bearer=tokens.access_token).status_code == 200


def test_expiry_follows_the_servers_clock(sim: SimServer, http: httpx.Client,
                                          clock: ManualClock) -> None:
    tokens = connect_tokens(http, sim)  # the access token lives 1,800 s
    start = clock.now()
    sim.set_clock_skew(1_801)
    unsigned = call(http, sim, ACCOUNTS, bearer=tokens.access_token, sign=False)
    assert unsigned.status_code == 401 and "expired" in unsigned.json()["message"]
    sim.set_clock_skew(1_799)
    assert call(http, sim, ACCOUNTS, bearer=tokens.access_token, sign=False).status_code == 200
    assert clock.now() == start  # the callers' clock never moved


def test_reset_zeroes_the_skew(sim: SimServer, http: httpx.Client) -> None:
    sim.set_clock_skew(900)
    clock = sim.clock
    sim.reset()
    assert sim.clock_skew_s == 0 and sim.clock is clock
    assert sim.server_clock.now() == clock.now()
