"""The client's rate-limit windows: a request holds its place from start to answer, so however
late it reaches Webull, no more than the limit can arrive within any period."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.webull import endpoints as ep
from app.webull.ratelimit import UNANSWERED_S, WEBULL_LIMITS, Limit, RateLimiter, Window

from .conftest import json_response


async def token() -> str:
    return "BEARER"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_place_frees_one_period_after_the_answer_not_the_start() -> None:
    clock = Clock()
    limiter = RateLimiter({"balances": Limit(2, 2)}, margin_s=0.0, clock=clock)
    first = limiter.try_begin("balances")
    second = limiter.try_begin("balances")
    assert first is not None and second is not None
    assert limiter.try_begin("balances") is None
    clock.now = 0.5
    limiter.finish(first)
    clock.now = 2.4  # two seconds after the first *started*, but not after it was answered
    assert limiter.try_begin("balances") is None
    clock.now = 2.5
    assert limiter.try_begin("balances") is not None


def test_a_request_still_in_flight_holds_its_place() -> None:
    window = Window(Limit(1, 2), margin_s=0.0)
    slot = window.begin()
    assert window.delay(100.0) is None  # only its answer can free the place
    slot.answered_at = 100.0
    assert window.delay(100.5) == pytest.approx(1.5)
    assert window.delay(102.0) == 0.0


def test_the_margin_lengthens_every_period() -> None:
    window = Window(Limit(1, 2), margin_s=0.25)
    window.begin().answered_at = 0.0
    assert window.delay(2.0) == pytest.approx(0.25)
    assert window.delay(2.25) == 0.0


def test_finishing_twice_keeps_the_first_answer_time() -> None:
    clock = Clock()
    limiter = RateLimiter({"x": Limit(1, 1)}, margin_s=0.0, clock=clock)
    slot = limiter.try_begin("x")
    assert slot is not None
    limiter.finish(slot)
    clock.now = 0.9
    limiter.finish(slot)
    clock.now = 1.0
    assert limiter.try_begin("x") is not None


def test_a_limit_must_allow_something() -> None:
    with pytest.raises(ValueError, match="at least one request"):
        RateLimiter({"x": Limit(0, 1)})
    with pytest.raises(ValueError, match="positive period"):
        RateLimiter({"x": Limit(1, 0)})


@settings(max_examples=300, deadline=None)
@given(limit=st.integers(1, 4), period=st.sampled_from([0.5, 2.0, 30.0]),
       requests=st.lists(st.tuples(st.floats(0.0, 5.0), st.floats(0.0, 1.0)),
                         min_size=1, max_size=40))
def test_arrivals_never_exceed_the_limit_whatever_the_delays(
        limit: int, period: float, requests: list[tuple[float, float]]) -> None:
    """Each request is started as soon as its window allows, takes ``duration`` to be answered and
    reaches the server at any point in between (``reach``). Counted at arrival, as Webull counts,
    no period may hold more than the limit."""
    window = Window(Limit(limit, period), margin_s=0.0)
    now = 0.0
    in_flight: list[tuple[float, object]] = []  # (answer time, slot)
    arrivals: list[float] = []
    for duration, reach in requests:
        while True:
            for answer, slot in in_flight:
                if answer <= now:
                    slot.answered_at = answer  # type: ignore[attr-defined]
            in_flight = [(a, s) for a, s in in_flight if a > now]
            delay = window.delay(now)
            if delay == 0:
                break
            next_answer = min((a for a, _ in in_flight), default=None)
            candidates = [t for t in (now + delay if delay is not None else None, next_answer)
                          if t is not None]
            # (a float sum can land a hair short of the moment the place frees)
            now = max(min(candidates), math.nextafter(now, math.inf))
        slot = window.begin()
        in_flight.append((now + duration, slot))
        arrivals.append(now + reach * duration)
    arrivals.sort()
    for i in range(len(arrivals) - limit):
        assert arrivals[i + limit] - arrivals[i] >= period


async def test_a_waiting_caller_starts_once_the_answer_is_a_period_old() -> None:
    clock = Clock()
    limiter = RateLimiter({"x": Limit(1, 2)}, margin_s=0.0, clock=clock)
    async with limiter.slot("x"):
        waiting = asyncio.create_task(limiter.begin("x"))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not waiting.done()
        clock.now = 1.0  # answered at 1.0
    clock.now = 3.0
    slot = await asyncio.wait_for(waiting, timeout=5)
    limiter.finish(slot)


async def test_a_request_that_ended_without_an_answer_holds_its_place_a_little_longer() -> None:
    # cancelled or timed out after sending: it may still reach Webull after this moment
    clock = Clock()
    limiter = RateLimiter({"x": Limit(1, 1)}, margin_s=0.0, clock=clock)
    with pytest.raises(RuntimeError):
        async with limiter.slot("x"):
            raise RuntimeError("read timed out")
    clock.now = 1.0 + UNANSWERED_S - 0.01
    assert limiter.try_begin("x") is None
    clock.now = 1.0 + UNANSWERED_S
    assert limiter.try_begin("x") is not None


async def test_a_request_that_never_left_gives_its_place_back_at_once() -> None:
    clock = Clock()
    limiter = RateLimiter({"x": Limit(1, 1)}, margin_s=0.0, clock=clock)
    with pytest.raises(RuntimeError):
        async with limiter.slot("x") as slot:
            limiter.withdraw(slot)
            raise RuntimeError("connection refused")
    assert limiter.try_begin("x") is not None


async def test_the_transport_holds_its_slot_until_the_answer_is_in(
        transport_factory: Any) -> None:
    """Each answer takes 1.5 s (of a fake clock): the window counts from the answers, at 1.5 and
    3.0 s, so at 3.4 s a third balance read must still wait (counted from the starts, at 0 and
    1.5 s, it would not)."""
    clock = Clock()
    limiter = RateLimiter({**WEBULL_LIMITS, "balances": Limit(2, 2)}, margin_s=0.0, clock=clock)

    def handler(request: httpx.Request) -> httpx.Response:
        clock.now += 1.5
        return json_response(200, {})

    t = transport_factory(handler, limiter=limiter)
    await t.request(ep.BALANCES, token=token)
    await t.request(ep.BALANCES, token=token)
    clock.now = 3.4
    assert limiter.try_begin("balances") is None
    clock.now = 5.0
    assert limiter.try_begin("balances") is not None
