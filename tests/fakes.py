"""Test doubles shared by several test packages: an in-memory keyring, an event recorder and a
wait-for-a-condition helper for asyncio tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import keyring.backend
import keyring.errors

from app.core.events import EventBus


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Secrets in a dict, behaving like a real backend (deleting a missing entry raises).
    ``priority = -1``: a backend class defined in test code registers itself with keyring and
    would otherwise win the backend choice (ENVIRONMENT.md). Also usable by a subprocess via
    ``PYTHON_KEYRING_BACKEND=tests.fakes.MemoryKeyring``."""

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


class Recorder:
    """Every event published on a bus, with helpers to pick some out."""

    def __init__(self, bus: EventBus) -> None:
        self.events: list[Any] = []
        bus.subscribe(self.events.append)

    def of(self, cls: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, cls)]

    def clear(self) -> None:
        self.events.clear()


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait for a condition by polling it (no fixed sleeps), failing after ``timeout``."""

    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(poll(), timeout)
    except TimeoutError:
        raise AssertionError(f"still not true after {timeout:g} s: {condition.__doc__ or ''}"
                             ) from None
