"""The in-process server: start/stop, restart, no leaks, determinism, plain HTTP behaviour."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from app.sim import ManualClock, SimConfig, SimServer

from .support import call, connect_tokens


def _sim_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("pennant-sim")]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_start_and_stop_leave_no_thread_or_socket(http: httpx.Client) -> None:
    before = set(threading.enumerate())
    server = SimServer(seed=7)
    info = server.start()
    port = urlsplit(info.base_url).port
    assert port and info.base_url == f"http://127.0.0.1:{port}"
    assert http.get(info.base_url + "/").status_code == 200
    assert f"pennant-sim:{port}" in {t.name for t in _sim_threads()} and server.running
    server.stop()
    assert not server.running
    assert set(threading.enumerate()) <= before
    assert not _port_open(port)
    with pytest.raises(httpx.ConnectError):
        http.get(info.base_url + "/")
    with pytest.raises(RuntimeError):
        _ = server.info
    server.stop()  # stopping twice is harmless


def test_two_servers_one_after_another_and_side_by_side(http: httpx.Client) -> None:
    before = set(_sim_threads())
    with SimServer() as first:
        a = first.info.base_url
    with SimServer() as second, SimServer(seed=8) as third:
        assert second.info.base_url != third.info.base_url
        assert http.get(second.info.base_url + "/").status_code == 200
        assert http.get(third.info.base_url + "/").status_code == 200
    assert set(_sim_threads()) == before
    assert a  # the first one served too


def test_restart_keeps_port_and_state(http: httpx.Client) -> None:
    before = set(_sim_threads())
    server = SimServer(clock=ManualClock())
    server.start()
    url = server.info.base_url
    tokens = connect_tokens(http, server)
    server.stop()
    server.start()
    try:
        assert server.info.base_url == url
        assert call(http, server, "/trading/accounts/list",
                    bearer=tokens.access_token).status_code == 200
    finally:
        server.stop()
    assert set(_sim_threads()) == before


def test_start_is_fast_and_measured() -> None:
    began = time.perf_counter()
    with SimServer() as sim:
        elapsed = time.perf_counter() - began
        assert sim.startup_seconds is not None and sim.startup_seconds < 1.0
    assert elapsed < 2.0


def test_config_overrides_are_checked() -> None:
    with pytest.raises(TypeError):
        SimServer(no_such_setting=True)
    with pytest.raises(ValueError):
        SimConfig(page_size=0)


def test_starting_a_running_server_is_refused() -> None:
    with SimServer() as sim, pytest.raises(RuntimeError):
        sim.start()


def test_unknown_paths_and_methods_answer_json(http: httpx.Client) -> None:
    with SimServer() as sim:
        missing = http.get(sim.info.base_url + "/trading/nothing/here")
        wrong = http.post(sim.info.base_url + "/trading/accounts/list")
        for response, status in ((missing, 404), (wrong, 405)):
            assert response.status_code == status
            assert set(response.json()) == {"error_code", "message"}
            assert response.headers["x-request-id"]


def _snapshot(http: httpx.Client, sim: SimServer) -> dict[str, object]:
    tokens = connect_tokens(http, sim)
    out: dict[str, object] = {"info": {k: v for k, v in sim.info.to_dict().items()
                                       if k not in ("base_url", "login_url")}}
    accounts = call(http, sim, "/trading/accounts/list", bearer=tokens.access_token).json()
    out["accounts"] = accounts
    for account in accounts:
        q = {"account_id": account["account_id"]}
        out[account["account_id"] + "/b"] = call(http, sim, "/trading/assets/balances/get",
                                                 query=q, bearer=tokens.access_token).json()
        out[account["account_id"] + "/p"] = call(http, sim, "/trading/assets/positions/list",
                                                 query=q, bearer=tokens.access_token).json()
    for path, query in (
        ("/trading/instruments/stocks/profiles/list", {"category": "US_STOCK"}),
        ("/trading/instruments/crypto/profiles/list", {"category": "US_CRYPTO"}),
        ("/trading/instruments/futures/contracts/list", {"category": "US_FUTURES",
                                                         "code": "ES,CL,GC,NQ"}),
        ("/trading/instruments/options/contracts/list", {"category": "US_OPTION",
                                                         "underlying_symbols": "TSLA"}),
        ("/trading/instruments/event-contracts/markets/list", {}),
    ):
        out[path] = call(http, sim, path, query=query, bearer=tokens.access_token).json()
    out["users"] = [u.__dict__ for u in sim.demo_users()]
    return out


def test_same_seed_gives_identical_data(http: httpx.Client) -> None:
    snaps = []
    for _ in range(2):
        with SimServer(seed=21, clock=ManualClock(), rate_limits=None) as sim:
            sim.clock.advance(timedelta(hours=5))  # type: ignore[attr-defined]
            snaps.append(_snapshot(http, sim))
    assert snaps[0] == snaps[1]
    with SimServer(seed=22, clock=ManualClock(), rate_limits=None) as other:
        other.clock.advance(timedelta(hours=5))  # type: ignore[attr-defined]
        different = _snapshot(http, other)
    assert different["info"] != snaps[0]["info"]
    assert different["accounts"] != snaps[0]["accounts"]


def test_reset_starts_over_on_the_same_address(http: httpx.Client) -> None:
    clock = ManualClock()
    with SimServer(clock=clock, seed=7) as sim:
        url = sim.info.base_url
        tokens = connect_tokens(http, sim)
        sim.faults.server_error("/")
        sim.config.strict_signature = True
        sim.reset(clock=ManualClock())
        assert sim.info.base_url == url
        assert not sim.faults.pending() and not sim.config.strict_signature
        assert sim.clock is not clock
        stale = call(http, sim, "/trading/accounts/list", bearer=tokens.access_token)
        assert stale.status_code == 401  # the old state's tokens are gone
        first_id = sim.info.client_id
        sim.reset(seed=8)
        assert sim.info.client_id != first_id
        assert http.get(url + "/").status_code == 200
