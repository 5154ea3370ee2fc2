"""One exception hierarchy for every failure of a Webull API call.

Every error carries what a trader or a support engineer needs: the HTTP status, Webull's
``error_code`` and ``message``, the ``X-Request-Id`` of the response and the endpoint. Text is
passed through the redactor, so a server that echoes a token cannot leak it.

    WebullError
    ├── ApiError                 an HTTP error response
    │   ├── AuthError            401: the token or signature was refused → reconnect
    │   │   └── TokenRejectedError  the token endpoint refused a code or refresh token
    │   ├── PermissionDeniedError   403
    │   ├── BusinessRejectionError  417: a business rule or parameter was refused
    │   ├── RateLimitedError     429 (retry_after in seconds when the server said)
    │   ├── ServerError          5xx
    │   └── UnexpectedStatusError   any other non-2xx
    ├── TransportError           no usable HTTP exchange (connect, TLS, timeout, reset)
    ├── ResponseDecodeError      a response we cannot read (HTML, truncated JSON, wrong shape)
    ├── OutcomeUnknownError      a write whose outcome we do not know: reconcile, never resend blindly
    └── OAuthFlowError           the browser leg of OAuth went wrong
        ├── AuthorizationDeniedError  the user (or Webull) refused: error=access_denied …
        └── StateError               state missing, mismatched, replayed or expired
"""

from __future__ import annotations

from .redaction import redact


class WebullError(Exception):
    """Base of all client failures."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        self.message = redact(message)
        self.status = status
        self.error_code = redact(error_code) if error_code else error_code
        self.request_id = request_id
        self.endpoint = endpoint
        super().__init__(self.message)

    def __str__(self) -> str:
        head = " ".join(str(p) for p in (self.status, self.error_code) if p)
        text = f"[{head}] {self.message}" if head else self.message
        if self.endpoint:
            text += f" ({self.endpoint})"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, error_code={self.error_code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r}, endpoint={self.endpoint!r})"
        )


class ApiError(WebullError):
    """Webull answered with an HTTP error."""


class AuthError(ApiError):
    """401: authentication failed (expired or revoked token, bad signature, no permission)."""


class TokenRejectedError(AuthError):
    """The token endpoint refused the grant: a bad, expired or reused code or refresh token."""


class PermissionDeniedError(ApiError):
    """403: missing permission or entitlement."""


class BusinessRejectionError(ApiError):
    """417: Webull refused the request on business grounds or for bad parameters."""


class RateLimitedError(ApiError):
    """429: too many requests."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx: Webull failed while handling the request."""


class UnexpectedStatusError(ApiError):
    """Any other non-success status (e.g. 400, 404, 405)."""


class TransportError(WebullError):
    """No usable HTTP exchange happened (DNS, connect, TLS, timeout, reset).

    ``request_sent`` tells whether the request may have reached the server; for a write that
    may have been sent this is never raised: OutcomeUnknownError is raised instead.
    """

    def __init__(self, message: str, *, request_sent: bool, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.request_sent = request_sent


class ResponseDecodeError(WebullError):
    """A response arrived but cannot be read (not JSON, truncated, HTML, wrong shape)."""

    def __init__(self, message: str, *, field: str | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.field = field


class OutcomeUnknownError(WebullError):
    """A write (place, replace, cancel) may or may not have taken effect.

    The response never arrived (timeout or reset after the request was sent), the server failed
    with 5xx after it may have committed, or a success response could not be read. The caller
    must look the order up by ``client_order_id`` before doing anything else.
    """

    def __init__(self, message: str, *, cause: WebullError, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.cause = cause


class OAuthFlowError(WebullError):
    """The browser leg of the OAuth flow failed."""


class AuthorizationDeniedError(OAuthFlowError):
    """The callback carried ``error=…`` (the user pressed Deny, or Webull refused)."""

    def __init__(self, message: str, *, error: str, description: str | None = None) -> None:
        super().__init__(message, error_code=error)
        self.error = error
        self.description = description


class StateError(OAuthFlowError):
    """The callback's ``state`` was missing, unknown, replayed or expired (possible CSRF)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
