"""A preview is bound to the exact order it previewed (issue 5).

Submit is possible only with a current preview: one made for exactly these order fields (any
change, even of a single digit or of the account, needs a new preview) and not older than the
age limit. The order is compared by a fingerprint of its canonical JSON body, so two tickets
that would send the same bytes share a fingerprint and any difference does not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

#: a preview older than this is stale: prices and buying power move
DEFAULT_MAX_AGE = timedelta(seconds=30)


def fingerprint(account_id: str, body: Mapping[str, Any]) -> str:
    """SHA-256 of the account and the order's canonical JSON (keys sorted, no spaces)."""
    canonical = json.dumps({"account_id": account_id, "order": body}, sort_keys=True,
                           separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class BoundPreview:
    fingerprint: str
    made_at: datetime
    result: Any  # the broker's preview (or a local estimate where Webull has none)

    def problem(self, account_id: str, body: Mapping[str, Any], now: datetime,
                max_age: timedelta = DEFAULT_MAX_AGE) -> str | None:
        """Why this preview cannot back a submit of ``body`` now (None: it can)."""
        if fingerprint(account_id, body) != self.fingerprint:
            return "The order changed since it was previewed: preview it again."
        age = now - self.made_at
        if age > max_age:
            return (f"The preview is {int(age.total_seconds())} s old (limit "
                    f"{int(max_age.total_seconds())} s): preview it again.")
        if age < timedelta(0):
            return "The preview's time is in the future (clock changed): preview it again."
        return None


def bind(account_id: str, body: Mapping[str, Any], result: Any, at: datetime) -> BoundPreview:
    return BoundPreview(fingerprint(account_id, body), at, result)
