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
from collections import OrderedDict

MASK = "[REDACTED]"
_MIN_SECRET_LEN = 6  # shorter strings would mask ordinary words

#: how many unpinned secrets are remembered; older ones (long-expired tokens, spent codes and
#: states) are forgotten so that the pattern run on every log record stays small
MAX_SECRETS = 512

_lock = threading.Lock()
_pinned: set[str] = set()
_recent: OrderedDict[str, None] = OrderedDict()
_ordered: tuple[str, ...] = ()  # every tracked secret, longest first (no partial masks)

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


def register_secret(*values: str | None, pinned: bool = False) -> None:
    """Treat each value as secret from now on (None and very short values are ignored).

    ``pinned`` values (credentials) are kept for the life of the process; others are
    forgotten once ``MAX_SECRETS`` newer ones have been registered.
    """
    global _ordered
    new = [v for v in values if isinstance(v, str) and len(v) >= _MIN_SECRET_LEN]
    if not new:
        return
    with _lock:
        changed = False
        for value in new:
            if pinned:
                changed |= value not in _pinned
                _pinned.add(value)
            elif value not in _pinned and value not in _recent:
                _recent[value] = None
                changed = True
        while len(_recent) > MAX_SECRETS:
            _recent.popitem(last=False)
        if changed:
            _ordered = tuple(sorted(_pinned | _recent.keys(), key=len, reverse=True))


def redact(text: str) -> str:
    """Return ``text`` with every registered secret and every secret-bearing shape masked."""
    for secret in _ordered:
        if secret in text:
            text = text.replace(secret, MASK)
    return _SHAPES.sub(_mask_shape, text)


def _mask_shape(match: re.Match[str]) -> str:
    prefix = match.group("bearer") or match.group("kv") or match.group("query") or ""
    return prefix + MASK


_installed = False
_formatter = logging.Formatter()


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
            if record.exc_info:  # a traceback quotes exception arguments: format and scrub it
                record.exc_text = redact(_formatter.formatException(record.exc_info))
            if record.stack_info:
                record.stack_info = redact(record.stack_info)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
