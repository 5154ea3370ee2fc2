"""The benchmarks themselves. Figures are medians of several runs after a warm-up."""

from __future__ import annotations

import json
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.webull.models import decode_positions
from app.webull.signing import SigningKey, sign_headers

POSITIONS = 10_000


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    target: float | None = None
    lower_is_better: bool = True


def _median_ms(fn: Callable[[], object], runs: int = 7) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def position_payload(n: int | None = None) -> list[dict[str, Any]]:
    """A realistic positions response: mostly stocks, every tenth a two-leg option spread."""
    out: list[dict[str, Any]] = []
    for i in range(POSITIONS if n is None else n):
        price = Decimal(100 + i % 400) + Decimal(i % 100) / 100
        if i % 10 == 9:
            out.append({
                "position_id": f"P{i:025d}", "currency": "USD", "quantity": "1",
                "symbol": "TSLA", "option_strategy": "VERTICAL", "instrument_type": "OPTION",
                "last_price": "2.63", "cost_price": "2.61", "unrealized_profit_loss": "2.30",
                "legs": [
                    {"leg_id": f"L{i:025d}", "symbol": "TSLA", "quantity": "1",
                     "option_type": "CALL", "option_expire_date": "2026-10-16",
                     "option_exercise_price": "400", "option_contract_multiplier": "100",
                     "option_contract_deliverable": "100", "expiration_type": "PM"},
                    {"leg_id": f"M{i:025d}", "symbol": "TSLA", "quantity": "-1",
                     "option_type": "CALL", "option_expire_date": "2026-10-16",
                     "option_exercise_price": "410", "option_contract_multiplier": "100",
                     "option_contract_deliverable": "100", "expiration_type": "PM"},
                ],
            })
        else:
            out.append({
                "position_id": f"P{i:025d}", "currency": "USD", "quantity": str(1 + i % 500),
                "symbol": f"S{i % 3000}", "option_strategy": "", "instrument_type": "EQUITY",
                "last_price": str(price), "cost_price": str(price - 3),
                "unrealized_profit_loss": "2.32435219E3",
            })
    return out


def bench_decode() -> list[Figure]:
    payload = position_payload()
    raw = json.dumps(payload).encode()
    decode_ms = _median_ms(lambda: decode_positions(payload))
    full_ms = _median_ms(lambda: decode_positions(json.loads(raw, parse_float=Decimal)))
    tracemalloc.start()
    result = decode_positions(json.loads(raw, parse_float=Decimal))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(result) == POSITIONS
    return [
        Figure("decode_positions_10k_ms", decode_ms, "ms", target=100.0),
        Figure("parse_and_decode_positions_10k_ms", full_ms, "ms"),
        Figure("decode_positions_per_s", POSITIONS / (decode_ms / 1000), "1/s",
               lower_is_better=False),
        Figure("decode_positions_10k_peak_mib", peak / 2**20, "MiB"),
    ]


def bench_signing() -> list[Figure]:
    key = SigningKey("a1b2c3d4e5f60718293a4b5c6d7e8f90", "0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    body = json.dumps({"account_id": "LOJOQITOD49R6G9BPQM489CISA", "new_orders": [
        {"client_order_id": "0KGOHL4PR2SLC0DKIND4TI0002", "symbol": "AAPL", "quantity": "10"}]},
        separators=(",", ":")).encode()
    n = 2000

    def run() -> None:
        for _ in range(n):
            sign_headers(key, host="api.webull.com", path="/trading/orders/place", body=body)

    ms = _median_ms(run, runs=5)
    return [Figure("sign_request_us", ms * 1000 / n, "µs", target=200.0)]


def bench_simulator() -> list[Figure]:
    from .sim_load import measure

    result = measure()
    figures = [
        Figure("sim_signed_requests_per_s_observed", result["requests_per_s"], "1/s"),
        Figure("sim_failed_requests", result["failed"], "count", target=0.0),
    ]
    if result["requests_per_cpu_s"] is not None:
        figures.insert(0, Figure("sim_signed_requests_per_core_s", result["requests_per_cpu_s"],
                                 "1/s", target=2000.0, lower_is_better=False))
    return figures


BENCHMARKS: tuple[Callable[[], list[Figure]], ...] = (bench_decode, bench_signing, bench_simulator)
