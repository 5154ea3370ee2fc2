"""Why a read from Webull failed, in a trader's words (shared by the poller and the catalogue;
each adds what is special to it: a refused sign-in, anything unexpected)."""

from __future__ import annotations

from app.webull.errors import (
    PermissionDeniedError,
    RateLimitedError,
    ResponseDecodeError,
    ServerError,
    TransportError,
)


def read_failure(exc: BaseException, what: str) -> str | None:
    """The words for the common ways a read of ``what`` fails (None: not one of them)."""
    if isinstance(exc, TransportError):
        return "Webull could not be reached (network problem)"
    if isinstance(exc, RateLimitedError):
        return "Webull asked Pennant to slow down (too many requests)"
    if isinstance(exc, ServerError):
        return f"Webull had a server problem (HTTP {exc.status})"
    if isinstance(exc, ResponseDecodeError):
        return "Webull's answer could not be read"
    if isinstance(exc, PermissionDeniedError):
        return f"Webull refused access to {what} (permission denied)"
    return None
