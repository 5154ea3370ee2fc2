"""The Demo environment: the simulator's partner credentials, and the auto-approved sign-in.

``demo_connection`` turns a running simulator into the Environment and ConnectCredentials the
app uses; ``auto_sign_in`` completes the OAuth flow against a simulator that approves at once
(``--screenshot``, end-to-end tests), checking the callback like any other.
"""

from __future__ import annotations

import httpx

from app.sim import SimServer
from app.webull.environments import Environment
from app.webull.oauth import AuthorizationFlow, ConnectCredentials, TokenManager, TokenSet


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
