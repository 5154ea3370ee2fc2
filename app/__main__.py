"""Pennant entry point: ``python -m app`` and the ``pennant`` console script."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from app import __version__
from app.webull.environments import builtin_environments
from app.webull.redaction import install_log_redaction


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pennant", description="Pennant trading terminal for Webull")
    p.add_argument("--version", action="version", version=f"Pennant {__version__}")
    p.add_argument("--demo", action="store_true", help="use the Demo environment (the default)")
    p.add_argument("--env", metavar="NAME", help="environment: demo, " + ", ".join(
        builtin_environments()))
    p.add_argument("--list-environments", action="store_true",
                   help="print the known environments and their hosts, then exit")
    p.add_argument("--once", action="store_true",
                   help="Demo: print the portfolio snapshot and exit instead of serving")
    return p


def _print_environments() -> None:
    print("Environments (hosts are configuration, see app/webull/environments.toml):")
    print("  demo        the local simulator, started by the app on a loopback port")
    for env in builtin_environments().values():
        print(f"  {env.name:<11} {env.label}")
        print(f"              API + OAuth  {env.api_base_url}")
        print(f"              sign-in      {env.authorize_url}")
        print(f"              login hosts  {', '.join(env.login_hosts)}")


def main(argv: Sequence[str] | None = None) -> int:
    install_log_redaction()
    args = _parser().parse_args(argv)
    if args.env and args.env != "demo" and args.env not in builtin_environments():
        print(f"pennant: unknown environment {args.env!r}", file=sys.stderr)
        return 2
    print(f"Pennant {__version__}")
    if args.list_environments:
        _print_environments()
        return 0
    if args.env and args.env != "demo":
        print(f"pennant: the {args.env} environment needs the desktop window (a later issue) to "
              "enter credentials; only the Demo runs in the terminal for now", file=sys.stderr)
        return 2
    from app.demo_cli import run_demo  # starts the simulator: import only when needed

    return run_demo(once=args.once)


if __name__ == "__main__":
    sys.exit(main())
