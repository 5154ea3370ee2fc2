"""``python -m app.sim``: run the Webull simulator until SIGINT or SIGTERM.

Once it listens it prints exactly one JSON line on stdout — base_url, login_url, client_id,
client_secret, app_key, app_secret, redirect_uri, scope — and nothing else; logs go to stderr.
With ``--admin`` the admin endpoint (admin.py) is served to loopback clients and its base URL is
logged on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time
from collections.abc import Sequence
from types import FrameType

from .config import SimConfig
from .server import SimServer

log = logging.getLogger("app.sim")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m app.sim",
                                description="Local simulator of Webull's Connect API")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    p.add_argument("--seed", type=int, default=7, help="seed of all generated data (default 7)")
    p.add_argument("--auto-approve", action="store_true",
                   help="authorize at once for the first demo user, without login pages")
    p.add_argument("--strict-signature", action="store_true",
                   help="require signed requests on Connect (Bearer) calls too")
    p.add_argument("--market-hours", action="store_true",
                   help="follow real trading sessions instead of keeping every market open")
    p.add_argument("--no-rate-limits", action="store_true",
                   help="answer every request (for load measurements); Webull's limits otherwise")
    p.add_argument("--admin", action="store_true",
                   help="serve the admin endpoint /__sim/admin/ (faults, clock, tokens) to "
                        "loopback clients")
    p.add_argument("--quiet", action="store_true", help="no access log")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        # Only a flag: the handler runs in the main thread between two bytecodes, so taking a
        # lock there (Event.set) deadlocks when the main thread already holds it (Event.wait).
        nonlocal stopping
        stopping = True

    for name in ("SIGINT", "SIGTERM", "SIGBREAK"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), on_signal)
    config = SimConfig(seed=args.seed, host=args.host, port=args.port,
                       auto_approve=args.auto_approve, strict_signature=args.strict_signature,
                       market_always_open=not args.market_hours, access_log=not args.quiet,
                       admin_enabled=args.admin)
    if args.no_rate_limits:
        config.rate_limits = None
    server = SimServer(config)
    try:
        info = server.start()
    except (OSError, RuntimeError) as exc:
        log.error("cannot start the simulator: %s", exc)
        return 1
    try:
        sys.stdout.write(json.dumps(info.to_dict()) + "\n")
        sys.stdout.flush()
        if config.admin_enabled:
            log.info("admin endpoint enabled at %s (loopback clients, header x-sim-admin: 1)",
                     server.admin_url)
        for user in server.demo_users():
            log.info("demo user %s / %s — Trading API app key %s, secret %s", user.username,
                     user.password, user.app_key, user.app_secret)
        while not stopping:
            if not server.running:
                log.error("the simulator stopped unexpectedly")
                return 1
            time.sleep(0.1)
    finally:
        server.stop()
    log.info("simulator stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
