"""Fixtures for the Qt-free core tests: an in-memory keyring, a Keychain on it, the simulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.core.keychain import Keychain
from app.sim import SimServer
from tests.core.trading_fakes import broker, clock, desk, journal, sleeps  # noqa: F401
from tests.fakes import MemoryKeyring


@pytest.fixture
def memory_backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def keychain(memory_backend: MemoryKeyring) -> Iterator[Keychain]:
    chain = Keychain("Pennant-test", backend=memory_backend)
    yield chain
    chain.close()


@pytest.fixture(scope="module")
def _running_sim() -> Iterator[SimServer]:
    # the system clock: the session's token lifetimes and the server's agree
    with SimServer(seed=7, auto_approve=True) as server:
        yield server


@pytest.fixture
def sim(_running_sim: SimServer) -> Iterator[SimServer]:
    """A running auto-approving simulator with fresh state (users, tokens, faults)."""
    _running_sim.reset()
    yield _running_sim
