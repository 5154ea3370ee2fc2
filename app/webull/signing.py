"""Webull request signing (API.md §3.2–3.3).

The string to sign is ``path & sorted(name=value …) [& BODY_DIGEST]`` where the parameters are
every query parameter (raw values; a repeated name has its values sorted and joined with ``&``)
plus the signing headers ``x-app-key``, ``x-signature-algorithm``, ``x-signature-version``,
``x-signature-nonce``, ``x-timestamp`` and ``host``. The whole string is percent-encoded
(everything but ``A-Z a-z 0-9 - . _ ~``) and signed with HMAC keyed by ``app_secret + "&"``.

Two algorithms exist and a server dispatches on ``x-signature-algorithm``:
``HMAC-SHA1`` with an upper-case hex MD5 body digest (the documented one) and ``HMAC-SHA256``
with an upper-case hex SHA-256 body digest (the official SDK since 2026).

Form-encoded bodies (the OAuth token endpoint) are signed as parameters, without a body digest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import quote

Algorithm = Literal["HMAC-SHA1", "HMAC-SHA256"]
SIGNATURE_VERSION = "1.0"

_DIGESTS = {
    "HMAC-SHA1": (hashlib.sha1, hashlib.md5),
    "HMAC-SHA256": (hashlib.sha256, hashlib.sha256),
}

Params = Mapping[str, str] | Iterable[tuple[str, str]]


@dataclass(frozen=True)
class SigningKey:
    """The app key pair Webull issued. The secret never appears in repr()."""

    app_key: str
    app_secret: str = field(repr=False)


def _check_algorithm(algorithm: str) -> tuple[object, object]:
    try:
        return _DIGESTS[algorithm]
    except KeyError:
        raise ValueError(
            f"unsupported signature algorithm {algorithm!r}; use one of {sorted(_DIGESTS)}"
        ) from None


def body_digest(body: bytes, algorithm: Algorithm) -> str:
    """Upper-case hex digest of the exact body bytes (MD5 for SHA1, SHA-256 for SHA256)."""
    _, digest = _check_algorithm(algorithm)
    return digest(body).hexdigest().upper()  # type: ignore[operator]


def _pairs(params: Params | None) -> list[tuple[str, str]]:
    if params is None:
        return []
    items = params.items() if isinstance(params, Mapping) else params
    return [(str(k), str(v)) for k, v in items]


def string_to_sign(
    path: str,
    params: Iterable[tuple[str, str]],
    digest: str | None = None,
) -> str:
    """Build ``str3`` of §3.2 from the path, all signing parameters and the body digest."""
    grouped: dict[str, list[str]] = {}
    for name, value in params:
        grouped.setdefault(name, []).append(value)
    joined = "&".join(
        f"{name}={'&'.join(sorted(values))}" for name, values in sorted(grouped.items())
    )
    text = f"{path}&{joined}"
    if digest:
        text += f"&{digest}"
    return text


def signature(text: str, app_secret: str, algorithm: Algorithm) -> str:
    """Base64 HMAC of the percent-encoded string to sign."""
    hasher, _ = _check_algorithm(algorithm)
    encoded = quote(text, safe="")
    mac = hmac.new(f"{app_secret}&".encode(), encoded.encode(), hasher)  # type: ignore[arg-type]
    return base64.b64encode(mac.digest()).decode("ascii")


def utc_timestamp(now: datetime | None = None) -> str:
    """``x-timestamp`` format: UTC, second precision, ``YYYY-MM-DDThh:mm:ssZ``."""
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_nonce() -> str:
    """A fresh, unique ``x-signature-nonce``."""
    return uuid.uuid4().hex


def sign_headers(
    key: SigningKey,
    *,
    host: str,
    path: str,
    query: Params | None = None,
    body: bytes | None = None,
    form: Params | None = None,
    algorithm: Algorithm = "HMAC-SHA1",
    timestamp: str | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """Return the signature headers for one request.

    ``host`` is the Host header value (``host`` or ``host:port``). Give either ``body`` (exact
    JSON bytes, digested) or ``form`` (form fields, signed as parameters), not both.
    """
    if body is not None and form is not None:
        raise ValueError("a request has either a JSON body or form fields, not both")
    headers = {
        "x-app-key": key.app_key,
        "x-signature-algorithm": algorithm,
        "x-signature-version": SIGNATURE_VERSION,
        "x-signature-nonce": nonce or new_nonce(),
        "x-timestamp": timestamp or utc_timestamp(),
    }
    params = _pairs(query) + _pairs(form) + list(headers.items()) + [("host", host)]
    digest = body_digest(body, algorithm) if body else None
    text = string_to_sign(path, params, digest)
    headers["x-signature"] = signature(text, key.app_secret, algorithm)
    return headers
