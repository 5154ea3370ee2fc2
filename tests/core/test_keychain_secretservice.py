"""The Keychain on a real Secret Service (GNOME Keyring over D-Bus). Run by
``.ci/secretservice-test``, which starts a private session bus and an unlocked keyring."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from app.core.keychain import HEADER_PREFIX, Keychain

pytestmark = [
    pytest.mark.secretservice,
    pytest.mark.skipif(
        os.environ.get("PENNANT_SECRETSERVICE") != "1",
        reason="needs a real Secret Service: run .ci/secretservice-test "
               "(sets PENNANT_SECRETSERVICE=1 under a private D-Bus session with gnome-keyring)",
    ),
]


@pytest.fixture
def real_keychain() -> Iterator[Keychain]:
    from keyring.backends.SecretService import Keyring as SecretServiceKeyring

    chain = Keychain(f"Pennant-test-{uuid.uuid4().hex}", backend=SecretServiceKeyring())
    yield chain
    chain.close()


def test_round_trip_chunked_and_delete(real_keychain: Keychain) -> None:
    status = real_keychain.status()
    assert status.usable, status.problem
    backend = real_keychain._backend()  # the raw entries, to see the parts
    real_keychain.set("tokens/demo/cid", "short secret")
    assert real_keychain.get("tokens/demo/cid") == "short secret"
    long_value = "é" * 1500 + "x" * 2600
    real_keychain.set("tokens/demo/cid", long_value)
    assert real_keychain.get("tokens/demo/cid") == long_value
    header = backend.get_password(real_keychain.service, "tokens/demo/cid")
    assert header is not None and header.startswith(HEADER_PREFIX + "5:")
    parts = [backend.get_password(real_keychain.service, f"tokens/demo/cid#part{i}")
             for i in range(5)]
    assert all(p is not None and len(p) <= 1000 for p in parts)
    real_keychain.delete("tokens/demo/cid")
    assert real_keychain.get("tokens/demo/cid") is None
    assert all(backend.get_password(real_keychain.service, f"tokens/demo/cid#part{i}") is None
               for i in range(5))


async def test_async_round_trip(real_keychain: Keychain) -> None:
    await real_keychain.aset("a", "1")
    await real_keychain.aset("a", "2")
    assert await real_keychain.aget("a") == "2"
    await real_keychain.adelete("a")
    assert await real_keychain.aget("a") is None
