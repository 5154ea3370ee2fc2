"""Fixtures for the Qt-free core tests: an in-memory keyring, a Keychain on it, the simulator."""

from __future__ import annotations

from collections.abc import Iterator

import keyring.backend
import keyring.errors
import pytest

from app.core.events import Event, EventBus
from app.core.keychain import Keychain
from app.sim import SimServer


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Secrets in a dict. ``priority = -1``: a backend class defined in test code registers
    itself with keyring and would otherwise win the backend choice (ENVIRONMENT.md)."""

    priority = -1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.entries:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.entries[(service, username)]


@pytest.fixture
def memory_backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def keychain(memory_backend: MemoryKeyring) -> Iterator[Keychain]:
    chain = Keychain("Pennant-test", backend=memory_backend)
    yield chain
    chain.close()


class Recorder:
    """Collects every event a bus publishes."""

    def __init__(self, bus: EventBus) -> None:
        self.events: list[Event] = []
        bus.subscribe(self.events.append)

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def recorder(bus: EventBus) -> Recorder:
    return Recorder(bus)


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
