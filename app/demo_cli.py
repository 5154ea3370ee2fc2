"""The terminal Demo that ``make run`` starts until the desktop window exists.

It starts the simulator in-process, signs in through the real OAuth flow (the simulator
auto-approves for its first demo user), reads every account's balances and positions with the
real client, prints them, and keeps the simulator serving so that it can be explored (its
sign-in page works in any browser) until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from decimal import Decimal

import httpx

from app.sim import SimServer
from app.webull.client import WebullClient
from app.webull.environments import Environment
from app.webull.models import Balance, Position
from app.webull.oauth import AuthorizationFlow, ConnectCredentials, TokenManager, TokenSet
from app.webull.transport import Transport


def money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _position_line(p: Position) -> str:
    name = p.symbol + (f" {p.option_strategy.value}" if p.option_strategy else "")
    pnl = p.unrealized_profit_loss
    return (f"    {name:<30} {p.instrument_type.value:<8} {p.quantity:>12,f} "
            f"{money(p.cost_price):>12} {money(p.last_price):>12} {money(pnl):>12}")


def _balance_line(b: Balance) -> str:
    assets = b.account_currency_assets[0] if b.account_currency_assets else None
    bp = assets.buying_power or assets.day_buying_power if assets else None
    return (f"    net liquidation {money(b.total_net_liquidation_value)}   cash "
            f"{money(b.total_cash_balance)}   buying power {money(bp)}   day P&L "
            f"{money(b.total_day_profit_loss)}")


def demo_connection(sim: SimServer) -> tuple[Environment, ConnectCredentials]:
    """The Demo environment and partner credentials of a running simulator."""
    info = sim.info
    env = Environment.demo(info.base_url, info.login_url)
    creds = ConnectCredentials(info.client_id, info.client_secret, info.app_key,
                               info.app_secret, info.scope, info.redirect_uri)
    return env, creds


async def auto_sign_in(flow: AuthorizationFlow, tokens: TokenManager) -> TokenSet:
    """Sign in against a simulator that auto-approves: the authorization request redirects at
    once, and the code in that redirect is checked and exchanged like any callback."""
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as browser:
        answer = await browser.get(flow.begin())
    if answer.status_code != 302:
        raise RuntimeError(f"the simulator did not approve the sign-in (HTTP {answer.status_code})")
    return await tokens.exchange_code(flow.complete(answer.headers["location"]))


async def snapshot(sim: SimServer) -> list[str]:
    env, creds = demo_connection(sim)
    transport = Transport(env, creds.signing_key)
    try:
        tokens = TokenManager(transport, creds)
        token_set = await auto_sign_in(AuthorizationFlow(env, creds), tokens)
        client = WebullClient(transport, tokens.access_token)
        lines = [f"Signed in (identity {token_set.identity_id}); access token valid until "
                 f"{token_set.access_expires_at:%H:%M:%S} UTC."]
        for account in await client.list_accounts():
            label = account.account_label or account.account_class.value
            lines.append(f"\n  {label} · {account.account_number} ({account.account_type.value})")
            lines.append(_balance_line(await client.get_balance(account.account_id)))
            positions = await client.list_positions(account.account_id)
            if positions:
                lines.append(f"    {'symbol':<30} {'type':<8} {'quantity':>12} {'avg cost':>12} "
                             f"{'last':>12} {'unreal. P&L':>12}")
                lines.extend(_position_line(p) for p in positions)
            else:
                lines.append("    no positions")
        return lines
    finally:
        await transport.aclose()


def run_demo(*, once: bool = False) -> int:
    with SimServer(auto_approve=True) as sim:
        print(f"Demo simulator listening on {sim.info.base_url}")
        for line in asyncio.run(snapshot(sim)):
            print(line)
        if once:
            return 0
        print(f"\nThe simulator keeps serving; its sign-in page: {sim.info.login_url}"
              "\nThe desktop window arrives with the next issue. Ctrl-C stops.")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        stop.wait()
    return 0
