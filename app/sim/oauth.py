"""Connect OAuth 2.0 (API.md §2): the browser authorization leg and the token endpoint.

Authorization (``GET /oauth2/auth-codes/get``; also the older passport paths, C2): the
parameters are checked first — an unknown client or a redirect URI that is not registered
exactly never redirects (417 ``INVALID_PARAMETER`` JSON, examples.json); the other parameter
errors are answered the same way rather than redirected, since Webull documents only the 417
for this endpoint. Then a login page, then a consent page; Approve → 302 with ``code`` and
``state``, Deny → 302 with ``error=access_denied`` and ``state`` (RFC 6749; assumed, §2.3).
Each page carries a fresh random CSRF token bound to the sign-in flow.

Token (``POST /oauth2/tokens/create``, alias ``/openapi/oauth2/token``, C3): form-encoded,
signed (form fields as parameters), ``x-version: v2``, client credentials in the form.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .auth import FORM_TYPE, form_pairs, media_type, query_pairs
from .errors import TOKEN_AUTH_CODE_ERROR, SimError, unauthorized
from .pages import consent_page as render_consent
from .pages import login_page, notice_page
from .seed import PartnerApp
from .wire import token_created_at

if TYPE_CHECKING:
    from .state import SimState

AUTHORIZE_PATHS = ("/oauth2/auth-codes/get", "/oauth2/authenticate/login",
                   "/oauth2/sandbox/authenticate/login")
TOKEN_PATHS = ("/oauth2/tokens/create", "/openapi/oauth2/token")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(message: str) -> SimError:
    """A parameter error of the OAuth endpoints: never prefixed, never redirected."""
    return SimError(417, "INVALID_PARAMETER", message)


def _single(pairs: list[tuple[str, str]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in pairs:
        if name in values:
            raise _oauth_error(f"parameter {name} is repeated")
        values[name] = value
    return values


def redirect_with(uri: str, params: list[tuple[str, str]]) -> RedirectResponse:
    parts = urlsplit(uri)
    extra = urlencode(params)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return RedirectResponse(urlunsplit(parts._replace(query=query)), 302, headers=NO_STORE)


@dataclass
class Flow:
    """One browser sign-in in progress."""

    flow_id: str
    app: PartnerApp
    redirect_uri: str
    state: str
    expires_at: datetime
    csrf: str = ""
    identity_id: str | None = None


class OAuthEndpoints:
    def __init__(self, state: SimState) -> None:
        self.state = state
        self._flows: dict[str, Flow] = {}
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        routes = [Route(p, self.authorize, methods=["GET"]) for p in AUTHORIZE_PATHS]
        routes += [Route("/oauth2/login", self.login, methods=["POST"]),
                   Route("/oauth2/consent", self.consent, methods=["POST"])]
        routes += [Route(p, self.token, methods=["POST"]) for p in TOKEN_PATHS]
        return routes

    # ---------------------------------------------------------------- browser leg
    async def authorize(self, request: Request) -> Response:
        q = _single(query_pairs(request))
        app = self.state.registry.partner_by_client_id(q.get("client_id", ""))
        if app is None:
            raise _oauth_error("client_id is invalid")
        if not app.allows_redirect(q.get("redirect_uri", "")):
            raise _oauth_error("redirect_uri is not in whitelist")
        if q.get("response_type") != "code":
            raise _oauth_error("response_type must be code")
        if q.get("scope") != app.scope:
            raise _oauth_error("scope is invalid")
        if not q.get("state"):
            raise _oauth_error("state is required")
        if self.state.config.auto_approve:
            user = self.state.registry.users[0]
            code = self.state.oauth.issue_code(app.client_id, user.identity_id, app.scope)
            return redirect_with(q["redirect_uri"], [("code", code), ("state", q["state"])])
        ttl = timedelta(seconds=self.state.config.login_flow_ttl_s)
        flow = Flow(secrets.token_urlsafe(24), app, q["redirect_uri"], q["state"],
                    self.state.clock.now() + ttl)
        with self._lock:
            now = self.state.clock.now()
            for key in [k for k, f in self._flows.items() if f.expires_at < now]:
                del self._flows[key]
            self._flows[flow.flow_id] = flow
        return self._login_page(flow)

    def _login_page(self, flow: Flow, error: str | None = None, username: str = "") -> Response:
        flow.csrf = secrets.token_urlsafe(32)
        users = [(u.username, u.password) for u in self.state.registry.users]
        return login_page(app_name=flow.app.name, flow=flow.flow_id, csrf=flow.csrf, users=users,
                          error=error, username=username)

    async def _form_flow(self, request: Request) -> tuple[Flow | None, dict[str, str], Response]:
        """The flow a page post belongs to, if the post is genuine; else the page to show."""
        if media_type(request) != FORM_TYPE:
            return None, {}, notice_page("Bad request", "The form was not sent as a form.", 400)
        form = dict(form_pairs(await request.body()))
        with self._lock:
            flow = self._flows.get(form.get("flow", ""))
        now = self.state.clock.now()
        if flow is None or flow.expires_at < now:
            return None, form, notice_page(
                "Sign-in expired",
                "This sign-in page has expired or was already used. Return to the app and "
                "start the sign-in again.", 400)
        if not flow.csrf or not hmac.compare_digest(flow.csrf.encode(),
                                                    form.get("csrf", "").encode()):
            return None, form, notice_page(
                "Request refused",
                "The form could not be verified (missing or stale security token). Return to "
                "the app and start the sign-in again.", 403)
        flow.csrf = ""  # each page's token is good for one post
        return flow, form, Response(status_code=204)

    async def login(self, request: Request) -> Response:
        flow, form, refusal = await self._form_flow(request)
        if flow is None:
            return refusal
        username = form.get("username", "").strip()
        user = self.state.registry.user(username)
        good = user is not None and hmac.compare_digest(user.password.encode(),
                                                        form.get("password", "").encode())
        if user is None or not good:
            return self._login_page(flow, "Incorrect username or password.", username)
        flow.identity_id = user.identity_id
        flow.csrf = secrets.token_urlsafe(32)
        accounts = [f"{a.wire()['account_label']} ({a.account_number})" for a in user.accounts]
        return render_consent(app_name=flow.app.name, scope=flow.app.scope,
                              user_name=user.display_name, accounts=accounts,
                              flow=flow.flow_id, csrf=flow.csrf)

    async def consent(self, request: Request) -> Response:
        flow, form, refusal = await self._form_flow(request)
        if flow is None:
            return refusal
        if flow.identity_id is None:
            return notice_page("Request refused", "Sign in before granting access.", 403)
        with self._lock:
            self._flows.pop(flow.flow_id, None)
        decision = form.get("decision")
        if decision == "approve":
            code = self.state.oauth.issue_code(flow.app.client_id, flow.identity_id,
                                               flow.app.scope)
            return redirect_with(flow.redirect_uri, [("code", code), ("state", flow.state)])
        if decision == "deny":
            return redirect_with(flow.redirect_uri,
                                 [("error", "access_denied"), ("state", flow.state)])
        return notice_page("Bad request", "Choose Approve or Deny.", 400)

    # ---------------------------------------------------------------- token endpoint
    async def token(self, request: Request) -> Response:
        if media_type(request) != FORM_TYPE:
            raise _oauth_error(f"Content-Type must be {FORM_TYPE}")
        body = await request.body()
        app_key = self.state.auth.verify_signature(request, body)
        signer = self.state.registry.partner_by_app_key(app_key)
        if signer is None:
            raise unauthorized("Insufficient permission: the app key is not a Connect app")
        if request.headers.get("x-version") != "v2":
            raise _oauth_error("x-version must be v2")
        self.state.limiter.check(app_key, "oauth_token")
        form = _single(form_pairs(body))
        for name in ("client_id", "client_secret", "grant_type"):
            if not form.get(name):
                raise _oauth_error(f"{name} is required")
        app = self.state.registry.partner_by_client_id(form["client_id"])
        if (app is None or app.app_key != signer.app_key or not hmac.compare_digest(
                app.client_secret.encode(), form["client_secret"].encode())):
            raise unauthorized("Insufficient permission: client credentials are invalid")
        grant_type = form["grant_type"]
        oauth = self.state.oauth
        if grant_type == "authorization_code":
            if not form.get("code"):
                raise _oauth_error("code is required")
            record = oauth.redeem_code(form["code"], app.client_id)
            if record is None:
                raise SimError(417, TOKEN_AUTH_CODE_ERROR,
                               "authorization code is invalid or expired")
            grant = oauth.issue_tokens(app.client_id, record.identity_id, record.scope)
        elif grant_type == "refresh_token":
            if not form.get("refresh_token"):
                raise _oauth_error("refresh_token is required")
            refreshed = oauth.refresh(form["refresh_token"], app.client_id)
            if refreshed is None:
                raise SimError(417, TOKEN_AUTH_CODE_ERROR,
                               "refresh token is invalid, expired or already used")
            grant = refreshed
        else:
            raise _oauth_error("grant_type must be authorization_code or refresh_token")
        return JSONResponse({
            "access_token": grant.access_token,
            "token_type": "Bearer",
            "expires_in": str(int(oauth.access_ttl.total_seconds())),
            "rt_expires_in": str(int(oauth.refresh_ttl.total_seconds())),
            "refresh_token": grant.refresh_token,
            "created_at": token_created_at(grant.created_at),
            "identity_id": grant.identity_id,
        }, headers=NO_STORE)
