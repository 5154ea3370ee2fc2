"""Qt-side measurements for ``make bench``; runs as its own process so app.bench stays Qt-free.

``python -m app.ui.bench_ui diff|stall|bare-window [...] --json`` prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

if TYPE_CHECKING:
    from app.webull.models import Position

# app modules are imported inside the measurements: the bare window must load nothing but Qt


def _app() -> QApplication:
    existing = QApplication.instance()
    return existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])


def _payload(rows: int) -> list[dict[str, Any]]:
    from app.bench.suite import position_payload

    return position_payload(rows)


def _bumped(payload: list[dict[str, Any]], step: int) -> list[dict[str, Any]]:
    """Every row's last price moves: a full-change poll."""
    out = []
    for row in payload:
        row = dict(row)
        row["last_price"] = str(Decimal(row["last_price"]) + Decimal(step) / 100)
        out.append(row)
    return out


def measure_diff(rows: int, runs: int) -> dict[str, float]:
    """Median time of PositionsModel.apply for a full-change diff, bare and behind a sorted proxy."""
    from app.core.diff import index_by, keyed_diff
    from app.ui.models import SortFilterProxy
    from app.ui.positions_model import PositionsModel
    from app.webull.models import decode_positions

    _app()
    payload = _payload(rows)
    snapshots = [decode_positions(_bumped(payload, step)) for step in range(runs + 2)]

    def timed(sorted_: bool) -> float:
        model = PositionsModel()
        proxy = None
        if sorted_:
            proxy = SortFilterProxy()
            proxy.setSourceModel(model)
        model.apply(keyed_diff({}, index_by(snapshots[0], _key)))
        if proxy is not None:
            column = [c.key for c in model.columns].index("market_value")
            proxy.sort(column)
        times = []
        for step in range(1, runs + 2):
            diff = keyed_diff(index_by(snapshots[step - 1], _key), index_by(snapshots[step], _key))
            start = time.perf_counter()
            model.apply(diff)
            times.append((time.perf_counter() - start) * 1000)
        assert model.rowCount() == rows
        return statistics.median(times[1:])  # the first is a warm-up

    return {"rows": rows, "apply_ms": timed(False), "apply_sorted_ms": timed(True)}


def _key(position: Position) -> str:
    return position.position_id


def bare_window(linger: float) -> dict[str, float]:
    """A bare QMainWindow: the baseline for the app's cold start and idle memory."""
    app = _app()
    window = QMainWindow()
    window.resize(1440, 900)
    window.show()
    result: dict[str, float] = {}

    def first_tick() -> None:
        result["shown"] = result["ready"] = time.time()
        probe = os.environ.get("PENNANT_STARTUP_PROBE")
        if probe:
            with open(probe + ".tmp", "w", encoding="utf-8") as fh:
                json.dump(result, fh)
            os.replace(probe + ".tmp", probe)
        QTimer.singleShot(int(linger * 1000), app.quit)

    QTimer.singleShot(0, first_tick)
    app.exec()
    return result


def _mock_http(accounts: int, positions: int) -> Any:
    """An httpx client answering like Webull from canned bodies; prices move on every call."""
    import httpx

    ids = [f"BENCH{i:021d}" for i in range(accounts)]
    accounts_body = json.dumps([
        {"account_id": a, "account_number": f"5MV{i:05d}", "account_type": "MARGIN",
         "account_class": "INDIVIDUAL_MARGIN", "account_label": "Individual Margin"}
        for i, a in enumerate(ids)]).encode()
    balance_body = json.dumps({
        "total_asset_currency": "USD", "total_cash_balance": "1000.00",
        "total_market_value": "5000.00", "total_unrealized_profit_loss": "10.00",
        "total_net_liquidation_value": "6000.00", "total_day_profit_loss": "1.00",
        "account_currency_assets": [{"currency": "USD", "cash_balance": "1000.00",
                                     "market_value": "5000.00"}]}).encode()
    base = _payload(positions)
    bodies = [json.dumps(_bumped(base, step)).encode() for step in range(4)]
    calls = {"n": 0}

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/accounts/list"):
            body = accounts_body
        elif path.endswith("/balances/get"):
            body = balance_body
        elif path.endswith("/positions/list"):
            calls["n"] += 1
            body = bodies[calls["n"] % len(bodies)]
        elif path.endswith("/open-orders/list"):
            body = b"[]"
        else:
            return httpx.Response(404, json={"error_code": "NOT_FOUND", "message": path})
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    return httpx.AsyncClient(transport=httpx.MockTransport(handle)), ids, calls


def measure_stall(accounts: int, positions: int, seconds: float) -> dict[str, Any]:
    """Largest gap of a 1 ms precise timer while the real poller polls into the real model."""
    import asyncio

    import qasync
    from PySide6.QtCore import Qt

    from app.core import events as ev
    from app.core.poller import Poller
    from app.ui.bridge import EventBridge
    from app.ui.positions_model import PositionsModel
    from app.webull.client import WebullClient
    from app.webull.environments import Environment
    from app.webull.ratelimit import RateLimiter
    from app.webull.signing import SigningKey
    from app.webull.transport import Transport

    from app.ui.memory import GcPolicy

    app = _app()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    gc_policy = GcPolicy()  # the app's own garbage-collector policy (app/ui/memory.py)
    gc_policy.start()
    http, ids, calls = _mock_http(accounts, positions)
    transport = Transport(Environment.demo("https://bench.invalid"),
                          SigningKey("a1b2c3d4e5f60718293a4b5c6d7e8f90",
                                     "0f1e2d3c4b5a69788796a5b4c3d2e1f0"),
                          http=http, limiter=RateLimiter())

    async def token() -> str:
        return "bench-access-token"

    bus = ev.EventBus()
    bridge = EventBridge(bus)
    model = PositionsModel()
    focus = ids[0]
    applied = {"n": 0}

    def on_positions(event: ev.PositionsUpdated) -> None:
        if event.account_id == focus:
            model.apply(event.diff)
            applied["n"] += 1

    bridge.positions.connect(on_positions)
    poller = Poller(WebullClient(transport, token), bus)
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(1)
    timer.timeout.connect(tick)

    async def run() -> None:
        poller.set_focus(focus)
        poller.start()
        last[0] = time.perf_counter()
        timer.start()
        await asyncio.sleep(seconds)
        timer.stop()
        await poller.stop()
        await transport.aclose()
        await http.aclose()

    with loop:
        loop.run_until_complete(run())
    stalls = sorted(max(0.0, g - 1.0) for g in gaps)
    p99 = stalls[min(len(stalls) - 1, int(len(stalls) * 0.99))] if stalls else 0.0
    return {"accounts": accounts, "positions": positions, "seconds": seconds,
            "ticks": len(gaps), "stall_max_ms": stalls[-1] if stalls else 0.0,
            "stall_p99_ms": p99, "positions_requests": calls["n"],
            "focused_applies": applied["n"], "focused_rows": model.rowCount()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.ui.bench_ui", description=__doc__)
    sub = parser.add_subparsers(dest="which", required=True)
    diff = sub.add_parser("diff", help="time PositionsModel.apply for a full-change diff")
    diff.add_argument("--rows", type=int, default=10_000)
    diff.add_argument("--runs", type=int, default=7)
    stall = sub.add_parser("stall", help="largest event-loop stall while polling")
    stall.add_argument("--accounts", type=int, default=20)
    stall.add_argument("--positions", type=int, default=2_000)
    stall.add_argument("--seconds", type=float, default=15.0)
    bare = sub.add_parser("bare-window", help="bare QMainWindow cold start (probe file)")
    bare.add_argument("--linger", type=float, default=0.0)
    for p in (diff, stall, bare):
        p.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.which == "diff":
        result: dict[str, Any] = measure_diff(args.rows, args.runs)
    elif args.which == "stall":
        result = measure_stall(args.accounts, args.positions, args.seconds)
    else:
        result = bare_window(args.linger)
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
