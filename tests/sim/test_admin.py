"""The admin endpoint (app/sim/admin.py): off by default, loopback only, CSRF-proof, validated,
and its faults, clock and token switches really act on the next calls."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.sim import ManualClock, SimConfig, SimServer, SystemClock

from .orders_support import connect_session, stock
from .support import call, cli_simulator, connect_tokens, error_of

ACCOUNTS = "/trading/accounts/list"
HEADERS = {"x-sim-admin": "1"}


@pytest.fixture
def admin(sim: SimServer) -> SimServer:
    sim.config.admin_enabled = True
    return sim


def get(http: httpx.Client, sim: SimServer, path: str, **kw: Any) -> httpx.Response:
    headers = kw.pop("headers", HEADERS)
    return http.get(sim.admin_url + path, headers=headers, **kw)


def post(http: httpx.Client, sim: SimServer, path: str, body: Any = None,
         **kw: Any) -> httpx.Response:
    headers = kw.pop("headers", HEADERS)
    return http.post(sim.admin_url + path, json={} if body is None else body, headers=headers,
                     **kw)


def refused(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = dict(response.json())
    assert isinstance(body["error_code"], str) and body["message"], body
    return body


# ------------------------------------------------------------------------------ off, guards


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "state"), ("GET", "faults"), ("POST", "faults"), ("POST", "reset"), ("GET", ""),
])
def test_disabled_answers_like_an_unknown_path(sim: SimServer, http: httpx.Client, method: str,
                                               path: str) -> None:
    assert not sim.config.admin_enabled
    unknown = http.request(method, sim.info.base_url + "/no/such/path", headers=HEADERS)
    response = http.request(method, sim.admin_url + path, headers=HEADERS,
                            json={"kind": "server_error"} if method == "POST" else None)
    assert unknown.status_code == response.status_code == 404
    assert response.json() == unknown.json()
    assert response.headers["content-type"] == unknown.headers["content-type"]
    assert not sim.faults.pending()


def test_the_cli_flag_and_the_default(sim: SimServer) -> None:
    assert SimConfig().admin_enabled is False
    with SimServer(SimConfig(admin_enabled=True)) as other:
        assert other.admin_url == other.info.base_url + "/__sim/admin/"


@pytest.mark.parametrize("headers", [{}, {"x-sim-admin": "0"}, {"x-sim-admin": "true"},
                                     {"X-Requested-With": "XMLHttpRequest"}])
def test_the_custom_header_is_required(admin: SimServer, http: httpx.Client,
                                       headers: dict[str, str]) -> None:
    assert refused(get(http, admin, "state", headers=headers), 403)["error_code"] == "FORBIDDEN"
    body = refused(post(http, admin, "faults", {"kind": "drop"}, headers=headers), 403)
    assert "x-sim-admin" in body["message"]
    assert not admin.faults.pending()


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None,
])
def test_posts_must_be_json(admin: SimServer, http: httpx.Client,
                            content_type: str | None) -> None:
    headers = {**HEADERS, **({"content-type": content_type} if content_type else {})}
    response = http.post(admin.admin_url + "faults", content=b'{"kind":"drop"}',
                         headers=headers)
    assert refused(response, 415)["error_code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert not admin.faults.pending()
    charset = http.post(admin.admin_url + "faults", content=b'{"kind":"drop"}', headers={
        **HEADERS, "content-type": "application/json; charset=utf-8"})
    assert charset.status_code == 201


def test_a_foreign_host_header_is_refused(admin: SimServer, http: httpx.Client) -> None:
    """DNS rebinding: a page on evil.example resolved to 127.0.0.1 still names its own host."""
    for host in ("evil.example", "evil.example:80", "10.0.0.1"):
        response = get(http, admin, "state", headers={**HEADERS, "host": host})
        assert "Host header" in refused(response, 403)["message"]
    port = admin.info.base_url.rsplit(":", 1)[1]
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "127.0.0.1", "LOCALHOST"):
        assert get(http, admin, "state", headers={**HEADERS, "host": host}).status_code == 200


@pytest.mark.parametrize(("client", "allowed"), [
    (("203.0.113.5", 40000), False), (("10.0.0.2", 1), False), (("::ffff:192.0.2.1", 1), False),
    (("127.0.0.1", 40000), True), (("127.8.9.10", 1), True), (("::1", 1), True),
    (("::ffff:127.0.0.1", 1), True),
])
async def test_only_loopback_clients(admin: SimServer, client: tuple[str, int],
                                     allowed: bool) -> None:
    transport = httpx.ASGITransport(app=admin.app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as remote:
        response = await remote.get("/__sim/admin/state", headers=HEADERS)
    if allowed:
        assert response.status_code == 200
    else:
        assert "loopback" in refused(response, 403)["message"]


def test_unknown_admin_paths_and_methods(admin: SimServer, http: httpx.Client) -> None:
    assert refused(get(http, admin, "nope"), 404)["error_code"] == "NOT_FOUND"
    assert refused(get(http, admin, ""), 404)["error_code"] == "NOT_FOUND"
    wrong = http.delete(admin.admin_url + "faults", headers=HEADERS)
    assert refused(wrong, 405)["error_code"] == "METHOD_NOT_ALLOWED"
    assert wrong.headers["allow"] == "GET, POST"
    assert refused(get(http, admin, "reset"), 405)["error_code"] == "METHOD_NOT_ALLOWED"


def test_faults_never_hit_the_admin_endpoint(admin: SimServer, http: httpx.Client) -> None:
    admin.faults.drop("*")
    assert get(http, admin, "faults").json()["faults"][0]["kind"] == "drop"
    assert post(http, admin, "faults/clear").json() == {"cleared": 1}


# ------------------------------------------------------------------------------ operations


def test_state_summary(admin: SimServer, http: httpx.Client, clock: ManualClock) -> None:
    response = get(http, admin, "state")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "x-request-id" in response.headers
    body = response.json()
    assert set(body) == {"seed", "client_id", "clock", "config", "faults", "users"}
    assert body["seed"] == 7 and body["client_id"] == admin.info.client_id
    assert body["clock"] == {"kind": "ManualClock", "manual": True,
                             "now": clock.now().isoformat(),
                             "reference_now": clock.now().isoformat(), "skew_s": 0.0}
    assert body["config"]["admin_enabled"] is True and body["config"]["rate_limits"] is True
    assert body["faults"] == []
    assert [u["username"] for u in body["users"]] == [u.username for u in admin.demo_users()]
    assert "password" not in json.dumps(body["users"])


def test_add_list_and_clear_faults(admin: SimServer, http: httpx.Client) -> None:
    added = post(http, admin, "faults", {"kind": "rate_limited", "path": "/trading/*",
                                         "times": 3, "retry_after": 2, "method": "get"})
    assert added.status_code == 201
    assert added.json() == {"fault": {
        "kind": "rate_limited", "path": "/trading/*", "method": "GET", "remaining": 3,
        "hits": 0, "retry_after": 2.0, "delay_s": 0.0, "status": None, "after": False}}
    post(http, admin, "faults", {"kind": "delay", "delay_s": 0.25})
    post(http, admin, "faults", {"kind": "html"})
    post(http, admin, "faults", {"kind": "drop", "after": True, "path": "/trading/orders/place"})
    listed = get(http, admin, "faults").json()["faults"]
    assert [(f["kind"], f["path"]) for f in listed] == [
        ("rate_limited", "/trading/*"), ("delay", "*"), ("html", "*"),
        ("drop", "/trading/orders/place")]
    assert listed[1]["delay_s"] == 0.25 and listed[2]["status"] == 502 and listed[3]["after"]
    assert len(admin.faults.pending()) == 4
    assert post(http, admin, "faults/clear").json() == {"cleared": 4}
    assert get(http, admin, "faults").json() == {"faults": []}
    assert post(http, admin, "faults/clear", headers={**HEADERS, "content-type":
                                                      "application/json"}).status_code == 200


def test_a_429_storm_hits_the_next_three_calls(admin: SimServer, http: httpx.Client) -> None:
    tokens = connect_tokens(http, admin)
    post(http, admin, "faults", {"kind": "rate_limited", "path": ACCOUNTS, "times": 3,
                                 "retry_after": 1.5})
    for _ in range(3):
        response = call(http, admin, ACCOUNTS, bearer=tokens.access_token)
        assert error_of(response) == (429, "TOO_MANY_REQUESTS")
        assert response.headers["retry-after"] == "1.5"
    assert call(http, admin, ACCOUNTS, bearer=tokens.access_token).status_code == 200
    assert get(http, admin, "faults").json() == {"faults": []}


def test_an_error_burst_only_on_the_matching_method(admin: SimServer,
                                                    http: httpx.Client) -> None:
    tokens = connect_tokens(http, admin)
    post(http, admin, "faults", {"kind": "server_error", "path": "/trading/accounts/*",
                                 "times": 2, "method": "POST"})
    post(http, admin, "faults", {"kind": "server_error", "path": "/trading/accounts/*",
                                 "times": 2, "method": "GET"})
    for _ in range(2):
        failed = call(http, admin, ACCOUNTS, bearer=tokens.access_token)
        assert error_of(failed) == (500, "SYSTEM_ERROR")
    assert call(http, admin, ACCOUNTS, bearer=tokens.access_token).status_code == 200
    assert [f["method"] for f in get(http, admin, "faults").json()["faults"]] == ["POST"]


def test_commit_then_drop_leaves_the_order_findable(admin: SimServer,
                                                    http: httpx.Client) -> None:
    demo = connect_session(http, admin)
    margin = demo.accounts()["margin"]
    order = stock(order_type="LIMIT", limit_price="100.00", time_in_force="GTC")
    added = post(http, admin, "faults", {"kind": "drop", "path": "/trading/orders/place",
                                         "method": "POST", "after": True})
    assert added.status_code == 201
    with pytest.raises(httpx.TransportError):
        demo.place(margin, order)
    found = demo.call("/trading/orders/get", query={
        "account_id": margin, "client_order_id": order["client_order_id"]})
    assert found.status_code == 200, found.text
    item = next(o for o in found.json()["orders"]
                if o["client_order_id"] == order["client_order_id"])
    assert item["status"] == "SUBMITTED"
    assert get(http, admin, "faults").json()["faults"] == []


def test_revoke_a_users_tokens(admin: SimServer, http: httpx.Client) -> None:
    tokens = connect_tokens(http, admin)
    alice = next(u for u in admin.demo_users() if u.username != "demo")
    other = connect_tokens(http, admin, alice.username, alice.password)
    response = post(http, admin, "tokens/revoke", {"user": "demo"})
    assert response.status_code == 200 and response.json()["revoked"] >= 1
    revoked = call(http, admin, ACCOUNTS, bearer=tokens.access_token)
    assert revoked.status_code == 401
    assert call(http, admin, ACCOUNTS, bearer=other.access_token).status_code == 200
    demo = next(u for u in admin.demo_users() if u.username == "demo")
    again = connect_tokens(http, admin)
    by_identity = post(http, admin, "tokens/revoke", {"user": demo.identity_id,
                                                      "client_id": admin.info.client_id})
    assert by_identity.json() == {"revoked": 1}
    assert call(http, admin, ACCOUNTS, bearer=again.access_token).status_code == 401


def test_advance_a_manual_clock(admin: SimServer, http: httpx.Client,
                                clock: ManualClock) -> None:
    before = clock.now()
    response = post(http, admin, "clock/advance", {"seconds": 90.5})
    assert response.status_code == 200
    assert clock.now() == before + timedelta(seconds=90.5)
    assert response.json()["now"] == clock.now().isoformat()
    assert post(http, admin, "clock/advance", {"seconds": 0}).status_code == 200


def test_advance_refused_unless_the_clock_is_manual(admin: SimServer,
                                                    http: httpx.Client) -> None:
    admin.reset(SimConfig(seed=7, admin_enabled=True), clock=SystemClock())
    body = refused(post(http, admin, "clock/advance", {"seconds": 5}), 409)
    assert body["error_code"] == "CONFLICT" and "ManualClock" in body["message"]
    assert get(http, admin, "state").json()["clock"]["manual"] is False


def test_set_the_clock_skew(admin: SimServer, http: httpx.Client, clock: ManualClock) -> None:
    response = post(http, admin, "clock/skew", {"seconds": -120})
    assert response.status_code == 200
    assert response.json() == {"kind": "ManualClock", "manual": True,
                               "now": (clock.now() - timedelta(seconds=120)).isoformat(),
                               "reference_now": clock.now().isoformat(), "skew_s": -120.0}
    assert admin.clock_skew_s == -120
    assert admin.server_clock.now() == clock.now() - timedelta(seconds=120)
    assert admin.clock is clock


def test_reset_to_the_seed_state(admin: SimServer, http: httpx.Client,
                                 clock: ManualClock) -> None:
    tokens = connect_tokens(http, admin)
    first_client = admin.info.client_id
    post(http, admin, "faults", {"kind": "server_error"})
    post(http, admin, "clock/skew", {"seconds": 30})
    admin.config.strict_signature = True
    response = post(http, admin, "reset")
    assert response.status_code == 200
    body = response.json()
    assert body["faults"] == [] and body["clock"]["skew_s"] == 0.0
    assert body["config"]["admin_enabled"] is True
    assert body["config"]["strict_signature"] is False
    assert admin.clock is clock and admin.info.client_id == first_client
    assert call(http, admin, ACCOUNTS, bearer=tokens.access_token).status_code == 401
    reseeded = post(http, admin, "reset", {"seed": 8}).json()
    assert reseeded["seed"] == 8 and reseeded["client_id"] == admin.info.client_id != first_client


# ------------------------------------------------------------------------------ validation


@pytest.mark.parametrize(("body", "field"), [
    ({}, "kind"),
    ({"kind": None}, "kind"),
    ({"kind": "explode"}, "kind"),
    ({"kind": 3}, "kind"),
    ({"kind": "SERVER_ERROR"}, "kind"),
    ({"kind": "drop", "path": ""}, "path"),
    ({"kind": "drop", "path": 5}, "path"),
    ({"kind": "drop", "path": "trading/*"}, "path"),
    ({"kind": "drop", "times": 0}, "times"),
    ({"kind": "drop", "times": 10_001}, "times"),
    ({"kind": "drop", "times": "3"}, "times"),
    ({"kind": "drop", "times": 2.0}, "times"),
    ({"kind": "drop", "times": True}, "times"),
    ({"kind": "drop", "method": "FETCH"}, "method"),
    ({"kind": "drop", "method": ["GET"]}, "method"),
    ({"kind": "server_error", "retry_after": 3}, "retry_after"),
    ({"kind": "rate_limited", "retry_after": -1}, "retry_after"),
    ({"kind": "rate_limited", "retry_after": "3"}, "retry_after"),
    ({"kind": "delay", "delay_s": 0}, "delay_s"),
    ({"kind": "delay", "delay_s": 601}, "delay_s"),
    ({"kind": "drop", "delay_s": 1}, "delay_s"),
    ({"kind": "html", "status": 99}, "status"),
    ({"kind": "html", "status": "502"}, "status"),
    ({"kind": "drop", "status": 500}, "status"),
    ({"kind": "drop", "after": "yes"}, "after"),
    ({"kind": "html", "after": True}, "after"),
    ({"kind": "drop", "paths": "/x"}, "paths"),
])
def test_fault_validation(admin: SimServer, http: httpx.Client, body: dict[str, Any],
                          field: str) -> None:
    error = refused(post(http, admin, "faults", body), 400)
    assert error["error_code"] == "INVALID_PARAMETER"
    assert error["field"] == field and error["message"].startswith(field + ": ")
    assert not admin.faults.pending()


def test_unknown_kind_names_the_known_ones(admin: SimServer, http: httpx.Client) -> None:
    message = refused(post(http, admin, "faults", {"kind": "explode"}), 400)["message"]
    for kind in ("server_error", "rate_limited", "drop", "html", "truncated_json", "delay"):
        assert kind in message


@pytest.mark.parametrize(("path", "body", "field"), [
    ("clock/skew", {}, "seconds"),
    ("clock/skew", {"seconds": "600"}, "seconds"),
    ("clock/skew", {"seconds": 1e12}, "seconds"),
    ("clock/skew", {"seconds": 1, "minutes": 2}, "minutes"),
    ("clock/advance", {}, "seconds"),
    ("clock/advance", {"seconds": -1}, "seconds"),
    ("clock/advance", {"seconds": None}, "seconds"),
    ("tokens/revoke", {}, "user"),
    ("tokens/revoke", {"user": ""}, "user"),
    ("tokens/revoke", {"user": "nobody"}, "user"),
    ("tokens/revoke", {"user": "demo", "client_id": 7}, "client_id"),
    ("reset", {"seed": "8"}, "seed"),
    ("reset", {"seed": -1}, "seed"),
    ("reset", {"clock": "manual"}, "clock"),
    ("faults/clear", {"kind": "drop"}, "kind"),
])
def test_operation_validation(admin: SimServer, http: httpx.Client, clock: ManualClock,
                              path: str, body: dict[str, Any], field: str) -> None:
    before = clock.now()
    error = refused(post(http, admin, path, body), 400)
    assert (error["error_code"], error["field"]) == ("INVALID_PARAMETER", field)
    assert error["message"].startswith(field + ": ")
    assert clock.now() == before and admin.clock_skew_s == 0


@pytest.mark.parametrize(("raw", "message"), [
    (b"{not json", "body: is not valid JSON"), (b"[1, 2]", "body: must be a JSON object"),
    (b'"drop"', "body: must be a JSON object"), (b"\xff\xfe", "body: is not valid JSON"),
])
def test_bodies_must_be_json_objects(admin: SimServer, http: httpx.Client, raw: bytes,
                                     message: str) -> None:
    response = http.post(admin.admin_url + "faults", content=raw,
                         headers={**HEADERS, "content-type": "application/json"})
    error = refused(response, 400)
    assert error["field"] == "body" and error["message"] == message


# ------------------------------------------------------------------------------ the CLI


def test_cli_admin_flag_logs_the_url_and_keeps_stdout() -> None:
    with cli_simulator("--admin", "--quiet") as run:
        info = run.info
        assert set(info) == {"base_url", "login_url", "client_id", "client_secret", "app_key",
                             "app_secret", "redirect_uri", "scope", "loopback_redirect_uri"}
        with httpx.Client(trust_env=False, timeout=5) as http:
            state = http.get(info["base_url"] + "/__sim/admin/state", headers=HEADERS)
            assert state.status_code == 200 and state.json()["config"]["admin_enabled"]
            assert state.json()["clock"]["kind"] == "SystemClock"
    assert run.proc.returncode == 0, run.err
    assert run.out == ""
    assert f"admin endpoint enabled at {info['base_url']}/__sim/admin/" in run.err


def test_cli_without_the_flag_has_no_admin_endpoint() -> None:
    with cli_simulator("--quiet") as run:
        with httpx.Client(trust_env=False, timeout=5) as http:
            assert http.get(run.info["base_url"] + "/__sim/admin/state",
                            headers=HEADERS).status_code == 404
    assert run.proc.returncode == 0, run.err
    assert "admin endpoint" not in run.err
