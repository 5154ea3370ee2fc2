"""Pennant entry point: ``python -m app`` and the ``pennant`` console script."""

from __future__ import annotations

import argparse
import atexit
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.webull.redaction import install_log_redaction

if TYPE_CHECKING:
    from pathlib import Path

    from app.webull.environments import Environment
    from app.webull.oauth import ConnectCredentials


class _Version(argparse.Action):
    """--version, looking the version up only when asked (the lookup is slow at start-up)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        import app

        print(f"Pennant {app.__version__}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pennant", description="Pennant trading terminal for Webull")
    p.add_argument("--version", action=_Version, nargs=0, help="print the version and exit")
    p.add_argument("--demo", action="store_true",
                   help="open the Demo environment (a simulated market on this computer)")
    p.add_argument("--env", metavar="NAME",
                   help="open this environment: demo, or one of --list-environments "
                        "(default: the one chosen in Settings)")
    p.add_argument("--list-environments", action="store_true",
                   help="print the known environments and their hosts, then exit")
    p.add_argument("--screenshot", metavar="PATH",
                   help="Demo: sign in (auto-approved), wait until every panel has data, save a "
                        "PNG of the main window to PATH and exit")
    p.add_argument("--screenshot-ticket", metavar="PATH",
                   help="Demo: sign in, fill an order ticket with a Demo order and preview it "
                        "(nothing is sent); save the ticket to PATH and the preview to PATH "
                        "with -preview before the suffix, then exit")
    p.add_argument("--selftest", action="store_true",
                   help="check that Qt, QtWebEngine, the keychain and SQLite work, then exit")
    p.add_argument("--data-dir", metavar="DIR",
                   help="keep settings, history and window layout in DIR instead of the "
                        "platform's standard places")
    return p


def _print_environments() -> None:
    from app.webull.environments import builtin_environments

    print("Environments (hosts are configuration, see app/webull/environments.toml):")
    print("  demo        the local simulator, started by the app on a loopback port")
    for env in builtin_environments().values():
        print(f"  {env.name:<11} {env.label}")
        print(f"              API + OAuth  {env.api_base_url}")
        print(f"              sign-in      {env.authorize_url}")
        print(f"              login hosts  {', '.join(env.login_hosts)}")


def demo_provider(auto_approve: bool) -> tuple[Environment, ConnectCredentials, str]:
    """Start the simulator in this process (once) for the Demo environment."""
    from app.demo import demo_connection
    from app.sim import SimServer

    sim = SimServer(auto_approve=auto_approve)
    sim.start()
    atexit.register(sim.stop)
    env, creds = demo_connection(sim)
    return env, creds, sim.info.loopback_redirect_uri


def _path(text: str | None) -> Path | None:
    if not text:
        return None
    from pathlib import Path  # only when a path was given: start-up does not need pathlib

    return Path(text)


def main(argv: Sequence[str] | None = None) -> int:
    install_log_redaction()
    args = _parser().parse_args(argv)
    if args.env and args.env != "demo":
        # imported only here: start-up without --env does not pay for it before the window
        from app.webull.environments import builtin_environments

        if args.env not in builtin_environments():
            print(f"pennant: unknown environment {args.env!r}; known: demo, "
                  f"{', '.join(builtin_environments())}", file=sys.stderr)
            return 2
    if args.list_environments:
        _print_environments()
        return 0
    if args.selftest:
        from app.ui.selftest import run_selftest

        return run_selftest()
    if args.screenshot and args.screenshot_ticket:
        print("pennant: give --screenshot or --screenshot-ticket, not both", file=sys.stderr)
        return 2
    shot = args.screenshot or args.screenshot_ticket
    if shot and args.env and args.env != "demo":
        print("pennant: --screenshot runs in the Demo environment only", file=sys.stderr)
        return 2
    from app.ui.boot import LaunchOptions, run

    environment = "demo" if (args.demo or shot) else args.env
    auto_approve = shot is not None
    return run(LaunchOptions(
        environment=environment,
        demo_provider=lambda: demo_provider(auto_approve),
        screenshot=_path(shot),
        screenshot_ticket=args.screenshot_ticket is not None,
        data_dir=_path(args.data_dir),
        # the simulator's own imports (Starlette, uvicorn) join the stage-2 preload for Demo
        preload=("app.sim", "app.demo") if environment in (None, "demo") else (),
    ))


if __name__ == "__main__":
    sys.exit(main())
