"""Keychain: round trips, chunking with integrity checks, insecure backends refused, one ordered
worker thread for the async calls."""

from __future__ import annotations

import asyncio
import threading

import keyring.backend
import keyring.errors
import pytest
from keyring.backends import chainer, fail, null

from app.core.keychain import (
    HEADER_PREFIX,
    Keychain,
    KeychainError,
    KeychainUnavailableError,
    credential_name,
    split_parts,
    token_name,
)
from tests.fakes import MemoryKeyring

SERVICE = "Pennant-test"


class PlaintextKeyring(MemoryKeyring):
    """Stands for keyrings.alt's plaintext file backend."""

    priority = -1  # type: ignore[assignment]


PlaintextKeyring.__module__ = "keyrings.alt.file"


class LockedKeyring(MemoryKeyring):
    priority = -1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")


class BrokenKeyring(MemoryKeyring):
    priority = -1  # type: ignore[assignment]

    def set_password(self, service: str, username: str, password: str) -> None:
        raise OSError(f"dbus said no to {password}")


class RecordingKeyring(MemoryKeyring):
    priority = -1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, str, str]] = []

    def set_password(self, service: str, username: str, password: str) -> None:
        self.log.append((threading.current_thread().name, username, password))
        super().set_password(service, username, password)


def stored(backend: MemoryKeyring) -> dict[str, str]:
    return {name: value for (service, name), value in backend.entries.items()
            if service == SERVICE}


def test_names() -> None:
    assert credential_name("sandbox", "cid", "app_secret") == "credentials/sandbox/cid/app_secret"
    assert token_name("sandbox", "cid") == "tokens/sandbox/cid"


def test_round_trip_overwrite_and_delete(keychain: Keychain, memory_backend: MemoryKeyring
                                         ) -> None:
    assert keychain.status().usable and keychain.status().problem == ""
    assert keychain.get("a") is None
    keychain.set("a", "secret-1")
    assert keychain.get("a") == "secret-1"
    keychain.set("a", "secret-2")
    assert keychain.get("a") == "secret-2"
    assert stored(memory_backend) == {"a": "secret-2"}
    keychain.delete("a")
    keychain.delete("a")  # missing is fine
    assert keychain.get("a") is None
    assert stored(memory_backend) == {}


def test_long_value_is_chunked(keychain: Keychain, memory_backend: MemoryKeyring) -> None:
    value = "".join(chr(ord("a") + i % 26) for i in range(10_240))
    keychain.set("tokens", value)
    entries = stored(memory_backend)
    parts = {k: v for k, v in entries.items() if k != "tokens"}
    assert len(parts) == 11
    assert all(len(v) <= 1000 for v in parts.values())
    assert entries["tokens"].startswith(HEADER_PREFIX + "11:")
    assert len(entries["tokens"]) < 1000
    assert keychain.get("tokens") == value


def test_parts_count_utf16_units() -> None:
    value = "\U0001f600" * 700 + "é" * 700  # 1,400 + 700 UTF-16 units
    parts = split_parts(value)
    assert "".join(parts) == value
    assert all(len(p.encode("utf-16-le")) <= 2000 for p in parts)
    assert split_parts("") == [""]


def test_non_ascii_chunked_round_trip(keychain: Keychain) -> None:
    value = "\U0001f600é" * 1500
    keychain.set("x", value)
    assert keychain.get("x") == value


@pytest.mark.parametrize("damage", ["change", "remove", "header"])
def test_torn_value_reads_as_absent(keychain: Keychain, memory_backend: MemoryKeyring,
                                    damage: str) -> None:
    keychain.set("tokens", "z" * 3500)
    if damage == "change":
        memory_backend.entries[(SERVICE, "tokens#part2")] = "y" * 1000
    elif damage == "remove":
        del memory_backend.entries[(SERVICE, "tokens#part3")]
    else:
        memory_backend.entries[(SERVICE, "tokens")] = HEADER_PREFIX + "4:nonsense"
    assert keychain.get("tokens") is None


def test_torn_overwrite_is_detected(keychain: Keychain, memory_backend: MemoryKeyring) -> None:
    """A write that died after some parts (header not yet rewritten) never yields a mix."""
    keychain.set("tokens", "a" * 2500)
    memory_backend.entries[(SERVICE, "tokens#part0")] = "b" * 1000  # the new value's first part
    assert keychain.get("tokens") is None


def test_delete_removes_every_part(keychain: Keychain, memory_backend: MemoryKeyring) -> None:
    keychain.set("tokens", "q" * 4200)
    memory_backend.entries[(SERVICE, "tokens#part5")] = "left over by a torn write"
    keychain.set("other", "keep")
    keychain.delete("tokens")
    assert stored(memory_backend) == {"other": "keep"}


def test_shrinking_overwrite_leaves_no_parts(keychain: Keychain,
                                             memory_backend: MemoryKeyring) -> None:
    keychain.set("tokens", "q" * 4200)
    keychain.set("tokens", "p" * 1500)
    assert sorted(stored(memory_backend)) == ["tokens", "tokens#part0", "tokens#part1"]
    keychain.set("tokens", "short")
    assert stored(memory_backend) == {"tokens": "short"}
    assert keychain.get("tokens") == "short"


def test_value_that_looks_like_a_header_survives(keychain: Keychain) -> None:
    value = HEADER_PREFIX + "1:" + "0" * 64
    keychain.set("odd", value)
    assert keychain.get("odd") == value


@pytest.mark.parametrize(
    ("backend", "words"),
    [
        (fail.Keyring(), "no system keychain was found"),
        (null.Keyring(), "switched off"),
        (PlaintextKeyring(), "stores secrets in a plain file"),
    ],
)
def test_insecure_backends_are_reported_and_refused(backend: keyring.backend.KeyringBackend,
                                                    words: str) -> None:
    chain = Keychain(SERVICE, backend=backend)
    try:
        status = chain.status()
        assert not status.usable
        assert words in status.problem
        assert status.problem.startswith("Secrets cannot be saved")
        assert status.backend == backend.name
        with pytest.raises(KeychainUnavailableError, match=words):
            chain.set("a", "secret")
        with pytest.raises(KeychainUnavailableError):
            chain.get("a")
    finally:
        chain.close()
    if isinstance(backend, PlaintextKeyring):
        assert backend.entries == {}


def test_chainer_uses_only_a_secure_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    plain, secure = PlaintextKeyring(), MemoryKeyring()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [plain, secure])
    chain = Keychain(SERVICE, backend=chainer.ChainerBackend())
    try:
        assert chain.status().usable
        assert chain.status().backend == secure.name
        chain.set("a", "secret")
        assert plain.entries == {} and secure.entries == {(SERVICE, "a"): "secret"}
    finally:
        chain.close()


@pytest.mark.parametrize("chained", [[], [PlaintextKeyring()]])
def test_chainer_without_a_secure_backend_is_unusable(monkeypatch: pytest.MonkeyPatch,
                                                      chained: list) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", chained)
    chain = Keychain(SERVICE, backend=chainer.ChainerBackend())
    try:
        status = chain.status()
        assert not status.usable
        assert ("plain file" if chained else "no system keychain") in status.problem
        with pytest.raises(KeychainUnavailableError):
            chain.set("a", "b")
    finally:
        chain.close()


def test_locked_and_broken_backends_raise_keychain_errors() -> None:
    locked = Keychain(SERVICE, backend=LockedKeyring())
    broken = Keychain(SERVICE, backend=BrokenKeyring())
    try:
        with pytest.raises(KeychainError, match="locked"):
            locked.get("a")
        with pytest.raises(KeychainError, match="refused the request") as caught:
            broken.set("a", "hunter2")
        assert "hunter2" not in str(caught.value)
    finally:
        locked.close()
        broken.close()


async def test_async_calls_run_in_order_on_one_worker_thread() -> None:
    backend = RecordingKeyring()
    chain = Keychain(SERVICE, backend=backend)
    try:
        writes = [asyncio.ensure_future(chain.aset("t", f"v{i}")) for i in range(40)]
        await asyncio.gather(*writes)
        assert await chain.aget("t") == "v39"
        assert [value for _, _, value in backend.log] == [f"v{i}" for i in range(40)]
        threads = {name for name, _, _ in backend.log}
        assert len(threads) == 1
        assert threads.pop().startswith("pennant-keychain")
        await chain.adelete("t")
        assert await chain.aget("t") is None
    finally:
        chain.close()


async def test_closed_keychain_refuses_calls(keychain: Keychain) -> None:
    await keychain.aset("a", "b")
    keychain.close()
    with pytest.raises(KeychainError, match="closed"):
        await keychain.aget("a")
