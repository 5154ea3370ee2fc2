"""Looking orders up until Webull's answer is known (issue 5).

An intent whose outcome is unknown is looked up by its client_order_id (app.core.reconcile),
again and again with a growing, jittered pause (tenacity), until Webull says it has the order
or has not. One lookup per intent at a time: the start-up check and a lookup the trader asked
for never move the same intent twice. Each call goes through the client, whose rate limiter
keeps lookups within Webull's order-query limit; a 429's Retry-After makes the pause longer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_result,
    wait_exponential_jitter,
)

from .journal import OrderJournal
from .order_sender import OrderSender
from .reconcile import LookupClient, Resolution, reconcile_one
from .trading_words import settled_words

#: the first pause between two lookups of one order, and the longest (seconds)
FIRST_PAUSE_S = 1.0
LONGEST_PAUSE_S = 30.0

Sleep = Callable[[float], Awaitable[None]]


class Lookups:
    def __init__(self, client: LookupClient, journal: OrderJournal, sender: OrderSender, *,
                 now: Callable[[], datetime], sleep: Sleep = asyncio.sleep,
                 first_pause_s: float = FIRST_PAUSE_S,
                 longest_pause_s: float = LONGEST_PAUSE_S) -> None:
        self._client = client
        self._journal = journal
        self._sender = sender
        self._now = now
        self._sleep = sleep
        self._backoff = wait_exponential_jitter(initial=first_pause_s, max=longest_pause_s,
                                                jitter=first_pause_s)
        self._locks: dict[str, asyncio.Lock] = {}

    async def settle(self, key: str) -> Resolution:
        """Look ``key`` up once (unless it is settled already or being sent right now)."""
        # one lock per order ever looked up this session: a handful, kept for simplicity
        async with self._locks.setdefault(key, asyncio.Lock()):
            intent = self._journal.get(key)
            if intent is None:
                raise KeyError(f"no order {key} in the journal")
            if not intent.unresolved:
                return Resolution(intent, settled_words(intent.state))
            if self._sender.in_flight(key):
                why = "the order is being sent right now"
                return Resolution(intent, f"Still unknown: {why}", reason=why)
            return await reconcile_one(self._journal, self._client, intent, now=self._now)

    def pause(self, state: RetryCallState) -> float:
        """The pause before the next attempt: exponential with jitter, and never shorter than
        the Retry-After Webull asked for."""
        delay = float(self._backoff(state))
        outcome = state.outcome
        if outcome is not None and not outcome.failed:
            value: Any = outcome.result()
            found = [value] if isinstance(value, Resolution) else list(value)
            asked = max((r.retry_after or 0.0 for r in found), default=0.0)
            delay = max(delay, asked)
        return delay

    def _retrying(self, again: Callable[[Any], bool]) -> AsyncRetrying:
        return AsyncRetrying(retry=retry_if_result(again), wait=self.pause, sleep=self._sleep,
                             reraise=True)

    async def until_resolved(self, key: str) -> Resolution:
        """Look ``key`` up until Webull's answer is known (cancel the task to stop)."""
        return await self._retrying(lambda r: not r.resolved)(self.settle, key)

    async def until_none_left(
            self, one_pass: Callable[[], Awaitable[Sequence[Resolution]]]) -> None:
        """Run ``one_pass`` (which returns what is still unknown) until nothing is left."""
        await self._retrying(bool)(one_pass)
