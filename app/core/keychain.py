"""Secrets in the OS keychain (through ``keyring``), and only there.

A missing or insecure backend (keyring's ``fail`` or ``null``, anything from ``keyrings.alt``,
a chainer with nothing secure to chain) is reported through ``status()`` and refused by
``set()``: Pennant never falls back to a plaintext file behind the user's back.

Windows Credential Manager limits one secret to 2,560 bytes (UTF-16), so long values are split
into parts of at most 1,000 UTF-16 units under derived names, with a header entry written last
that holds the part count and the SHA-256 of the whole. A torn write or partial read fails the
check and reads as absent, never as a wrong secret.

Keychain calls block (Secret Service over D-Bus takes ~80 ms), so every call runs on one
dedicated worker thread: the async wrappers never block the event loop, and writes land in the
order they were made.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail, null

log = logging.getLogger(__name__)

T = TypeVar("T")

#: at most this many UTF-16 code units per stored part (2,000 bytes < Windows' 2,560)
PART_UNITS = 1000
HEADER_PREFIX = "pennant-chunked:v1:"
_PART_SUFFIX = "#part"

_UNLOCK_HINT = ("Pennant keeps your app secrets and sign-in only in the system keychain "
                "(Windows Credential Manager, macOS Keychain, GNOME Keyring or KWallet).")


class KeychainError(Exception):
    """A keychain operation failed; ``str(exc)`` is a sentence for the user."""


class KeychainUnavailableError(KeychainError):
    """No secure keychain is available, so nothing can be stored."""


@dataclass(frozen=True)
class KeychainStatus:
    usable: bool
    backend: str
    problem: str  # "" when usable


def credential_name(environment: str, client_id: str, what: str) -> str:
    """Keychain entry of one app secret, e.g. ``credentials/sandbox/<client_id>/app_secret``."""
    return f"credentials/{environment}/{client_id}/{what}"


def token_name(environment: str, client_id: str) -> str:
    """Keychain entry of the saved sign-in (tokens) for one app in one environment."""
    return f"tokens/{environment}/{client_id}"


def _insecure_reason(backend: keyring.backend.KeyringBackend) -> str | None:
    """Why a backend must not hold secrets, or None if it is a real keychain."""
    module = type(backend).__module__
    if isinstance(backend, fail.Keyring):
        return "no system keychain was found"
    if isinstance(backend, null.Keyring):
        return "the keychain is switched off (keyring's null backend)"
    if module.startswith("keyrings.alt") or "plaintext" in type(backend).__name__.lower():
        return f"the only keychain found ({backend.name}) stores secrets in a plain file"
    return None


def _resolve(backend: keyring.backend.KeyringBackend
             ) -> tuple[keyring.backend.KeyringBackend | None, KeychainStatus]:
    """The backend to use (None if none is acceptable) and the status to show."""
    if isinstance(backend, chainer.ChainerBackend):
        chained = list(backend.backends)
        secure = [b for b in chained if _insecure_reason(b) is None]
        if secure:
            # use the best secure keychain directly: the chainer would also read from (and may
            # write to) any plaintext backend in its chain
            backend = secure[0]
        else:
            reasons = [r for b in chained if (r := _insecure_reason(b))]
            why = reasons[0] if reasons else "no system keychain was found"
            return None, _unusable(backend, why)
    reason = _insecure_reason(backend)
    if reason is not None:
        return None, _unusable(backend, reason)
    return backend, KeychainStatus(True, backend.name, "")


def _unusable(backend: keyring.backend.KeyringBackend, reason: str) -> KeychainStatus:
    problem = (f"Secrets cannot be saved: {reason}. {_UNLOCK_HINT} Until one is available you "
               "must enter them and sign in again every time Pennant starts.")
    return KeychainStatus(False, backend.name, problem)


def split_parts(value: str, units: int = PART_UNITS) -> list[str]:
    """Split ``value`` into parts of at most ``units`` UTF-16 code units, never inside a
    character (a character outside the BMP counts as two)."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in value:
        width = 2 if ord(char) > 0xFFFF else 1
        if size + width > units:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current or not parts:
        parts.append("".join(current))
    return parts


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _header_count(stored: str | None) -> int | None:
    """The part count of a header entry, None if ``stored`` is not a (readable) header."""
    if stored is None or not stored.startswith(HEADER_PREFIX):
        return None
    count, _, digest = stored[len(HEADER_PREFIX):].partition(":")
    if not count.isdigit() or len(digest) != 64:
        return None
    return int(count)


class Keychain:
    """One service's entries in the OS keychain, accessed from one worker thread."""

    def __init__(self, service: str = "Pennant",
                 backend: keyring.backend.KeyringBackend | None = None) -> None:
        self.service = service
        self._given = backend
        self._resolved: tuple[keyring.backend.KeyringBackend | None, KeychainStatus] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pennant-keychain")
        self._closed = False

    def __repr__(self) -> str:
        return f"Keychain(service={self.service!r})"

    # ---------------------------------------------------------------- status
    def status(self) -> KeychainStatus:
        return self._resolve()[1]

    def _resolve(self) -> tuple[keyring.backend.KeyringBackend | None, KeychainStatus]:
        if self._resolved is None:
            self._resolved = _resolve(self._given or keyring.get_keyring())
            if not self._resolved[1].usable:
                log.warning("keychain unusable: %s", self._resolved[1].problem)
        return self._resolved

    def _backend(self) -> keyring.backend.KeyringBackend:
        backend, status = self._resolve()
        if backend is None:
            raise KeychainUnavailableError(status.problem)
        return backend

    # ---------------------------------------------------------------- blocking API
    def set(self, name: str, value: str) -> None:
        self._run(self._set, name, value)

    def get(self, name: str) -> str | None:
        return self._run(self._get, name)

    def delete(self, name: str) -> None:
        self._run(self._delete, name)

    # ---------------------------------------------------------------- async API
    async def aset(self, name: str, value: str) -> None:
        await asyncio.wrap_future(self._submit(self._set, name, value))

    async def aget(self, name: str) -> str | None:
        return await asyncio.wrap_future(self._submit(self._get, name))

    async def adelete(self, name: str) -> None:
        await asyncio.wrap_future(self._submit(self._delete, name))

    def close(self) -> None:
        """Finish queued calls and stop the worker thread."""
        self._closed = True
        self._executor.shutdown(wait=True)

    # ---------------------------------------------------------------- worker side
    def _submit(self, fn: Callable[..., T], *args: str) -> Future[T]:
        if self._closed:
            raise KeychainError("The keychain connection was already closed.")
        return self._executor.submit(self._guarded, fn, *args)

    def _run(self, fn: Callable[..., T], *args: str) -> T:
        return self._submit(fn, *args).result()

    def _guarded(self, fn: Callable[..., T], *args: str) -> T:
        try:
            return fn(*args)
        except KeychainError:
            raise
        except keyring.errors.NoKeyringError:
            raise KeychainUnavailableError(
                f"Secrets cannot be saved: no system keychain was found. {_UNLOCK_HINT}"
            ) from None
        except keyring.errors.KeyringLocked:
            raise KeychainError("The system keychain is locked. Unlock it (for example by "
                                "signing in to your desktop again) and try again.") from None
        except Exception as exc:
            # backend exceptions (D-Bus, Win32) may quote the call; never echo them to the user
            log.warning("keychain %s failed: %s", fn.__name__.strip("_"), type(exc).__name__)
            raise KeychainError(
                f"The system keychain refused the request ({type(exc).__name__}). Check that "
                "it is running and unlocked, then try again."
            ) from None

    def _set(self, name: str, value: str) -> None:
        backend = self._backend()
        old_count = _header_count(backend.get_password(self.service, name))
        parts = split_parts(value)
        if len(parts) == 1 and not value.startswith(HEADER_PREFIX):
            backend.set_password(self.service, name, value)
            keep = 0
        else:
            for index, part in enumerate(parts):
                backend.set_password(self.service, self._part(name, index), part)
            # the header goes last: until it is written, readers see the old value (or a
            # mismatch, which reads as absent), never a mix
            backend.set_password(self.service, name,
                                 f"{HEADER_PREFIX}{len(parts)}:{_digest(value)}")
            keep = len(parts)
        self._delete_parts(backend, name, keep, old_count)

    def _get(self, name: str) -> str | None:
        backend = self._backend()
        stored = backend.get_password(self.service, name)
        if stored is None or not stored.startswith(HEADER_PREFIX):
            return stored
        count = _header_count(stored)
        if count is None or count < 1:
            log.warning("keychain entry %s has an unreadable header; treated as absent", name)
            return None
        parts = []
        for index in range(count):
            part = backend.get_password(self.service, self._part(name, index))
            if part is None:
                log.warning("keychain entry %s is missing part %d; treated as absent", name, index)
                return None
            parts.append(part)
        value = "".join(parts)
        expected = stored.rpartition(":")[2]
        if not hmac.compare_digest(_digest(value), expected):
            log.warning("keychain entry %s does not match its checksum; treated as absent", name)
            return None
        return value

    def _delete(self, name: str) -> None:
        backend = self._backend()
        stored = backend.get_password(self.service, name)
        if stored is not None:
            # the header first, so that no reader can see a value whose parts are going
            self._delete_one(backend, name)
        self._delete_parts(backend, name, 0, _header_count(stored))

    def _delete_parts(self, backend: keyring.backend.KeyringBackend, name: str, start: int,
                      known: int | None) -> None:
        """Delete parts ``start``… : all the header knew of, then on until one is missing (a
        torn write may have left more)."""
        index = start
        while True:
            part = self._part(name, index)
            if (known is None or index >= known) and \
                    backend.get_password(self.service, part) is None:
                return
            self._delete_one(backend, part)
            index += 1

    def _delete_one(self, backend: keyring.backend.KeyringBackend, entry: str) -> None:
        try:
            backend.delete_password(self.service, entry)
        except keyring.errors.PasswordDeleteError:
            pass  # already gone

    @staticmethod
    def _part(name: str, index: int) -> str:
        return f"{name}{_PART_SUFFIX}{index}"
