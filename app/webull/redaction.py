"""Keep secrets out of logs, exception text and reprs.

Two defences, both needed:
* values the app knows to be secret (client secret, app secret, access/refresh tokens,
  authorization codes, OAuth state) are registered here and replaced wherever they appear;
* shapes that carry secrets (``Bearer …``, ``access_token=…``, ``code=…`` in a callback URL,
  signature headers) are masked even when the value was never registered.

``install_log_redaction()`` wraps the logging record factory, so every record any library
creates is formatted and scrubbed before a handler, filter or formatter can see it.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "[REDACTED]"
_MIN_SECRET_LEN = 6  # shorter strings would mask ordinary words

_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()
_secret_re: re.Pattern[str] | None = None

_SHAPES = re.compile(
    r"""
    (?P<bearer>\bBearer\s+)[^\s'",;]+
    | (?P<kv>\b(?:access_token|refresh_token|client_secret|app_secret|token|x-signature
                 |x-access-token|x-app-secret|authorization)
          ['"]?\s*[=:]\s*['"]?(?:(?:Bearer|Basic)\s+)?)[^\s'"&,;}]+
    | (?P<query>[?&](?:code|state)=)[^\s'"&#]+
    """,
    re.IGNORECASE | re.VERBOSE,
)


def register_secret(*values: str | None) -> None:
    """Treat each value as secret from now on (None and very short values are ignored)."""
    global _secrets, _secret_re
    new = {v for v in values if isinstance(v, str) and len(v) >= _MIN_SECRET_LEN}
    if not new - _secrets:
        return
    with _lock:
        _secrets = _secrets | new
        ordered = sorted(_secrets, key=len, reverse=True)  # longest first: no partial masks
        _secret_re = re.compile("|".join(re.escape(s) for s in ordered))


def redact(text: str) -> str:
    """Return ``text`` with every registered secret and every secret-bearing shape masked."""
    pattern = _secret_re
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return _SHAPES.sub(_mask_shape, text)


def _mask_shape(match: re.Match[str]) -> str:
    prefix = match.group("bearer") or match.group("kv") or match.group("query") or ""
    return prefix + MASK


_installed = False


def install_log_redaction() -> None:
    """Scrub every log record at creation. Idempotent; call before anything logs."""
    global _installed
    with _lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: object, **kwargs: object) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            try:
                message = record.getMessage()
            except Exception:  # a broken format string must not hide the record
                message = f"{record.msg!r} {record.args!r}"
            record.msg = redact(message)
            record.args = None
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
