"""Fixtures. ``sim`` is one long-running server, reset to a fresh seed-7 state with a new
ManualClock for every test (a reset costs ~25 ms; starting and stopping a server ~0.13 s)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from app.sim import ManualClock, SimConfig, SimServer

from .orders_support import Session, connect_session


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="session")
def _running_sim() -> Iterator[SimServer]:
    with SimServer() as server:
        yield server


@pytest.fixture
def sim(_running_sim: SimServer, clock: ManualClock) -> Iterator[SimServer]:
    _running_sim.reset(SimConfig(seed=7), clock=clock)
    yield _running_sim


@pytest.fixture(scope="module")
def shared_sim() -> Iterator[SimServer]:
    """One server for a module's tests that only read; rate limits off, clock frozen."""
    with SimServer(seed=7, clock=ManualClock(), rate_limits=None) as server:
        yield server


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0, follow_redirects=False, trust_env=False) as client:
        yield client


@pytest.fixture
def demo(sim: SimServer, http: httpx.Client) -> Session:
    """The first demo user signed in over Connect (tests/sim/orders_support.py)."""
    return connect_session(http, sim)
