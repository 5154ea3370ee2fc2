"""The browser leg of Connect OAuth through the real HTML pages (API.md §2.2–2.3)."""

from __future__ import annotations

import re

import httpx
import pytest

from app.sim import ManualClock, SimServer

from .support import (
    authorize_params,
    callback_params,
    csrf_fields,
    error_of,
    exchange,
    form_of,
    login,
    post_form,
)

STATE = "MiLC+JjbW5/uZWN0=aW9u X3R5cGUiOiJs"  # characters that need encoding


def test_login_page_is_a_real_form_with_demo_hints(sim: SimServer, http: httpx.Client) -> None:
    page = http.get(sim.info.login_url, params=authorize_params(sim))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert "script-src" not in page.headers["content-security-policy"]
    assert "<script" not in page.text.lower()
    form = form_of(page)
    assert form["method"] == "post" and form["action"] == "/oauth2/login"
    assert set(form["fields"]) == {"flow", "csrf", "username", "password"}
    csrf_fields(page)
    for user in sim.demo_users():
        assert user.username in page.text and user.password in page.text
    assert "Pennant" in page.text


def test_approve_redirects_with_code_and_state(sim: SimServer, http: httpx.Client) -> None:
    consent = login(http, sim, state=STATE)
    assert "Pennant" in consent.text and "user:trade:wr" in consent.text
    assert "Alex Morgan" in consent.text
    form = form_of(consent)
    assert form["action"] == "/oauth2/consent"
    assert ("decision", "approve") in form["buttons"] and ("decision", "deny") in form["buttons"]
    approved = post_form(http, sim, form, decision="approve")
    params = callback_params(approved, sim)
    assert set(params) == {"code", "state"}
    assert params["state"] == STATE
    tokens = exchange(http, sim, params["code"])
    demo = next(u for u in sim.demo_users() if u.username == "demo")
    assert tokens.body["identity_id"] == demo.identity_id


def test_deny_redirects_with_access_denied(sim: SimServer, http: httpx.Client) -> None:
    consent = login(http, sim, state=STATE)
    denied = post_form(http, sim, form_of(consent), decision="deny")
    assert callback_params(denied, sim) == {"error": "access_denied", "state": STATE}


def test_wrong_password_shows_the_login_page_again(sim: SimServer, http: httpx.Client) -> None:
    page = http.get(sim.info.login_url, params=authorize_params(sim))
    first = csrf_fields(page)["csrf"]
    again = post_form(http, sim, form_of(page), username="demo", password="wrong")
    assert again.status_code == 200
    assert "Incorrect username or password" in again.text
    assert form_of(again)["action"] == "/oauth2/login"
    assert csrf_fields(again)["csrf"] != first  # a fresh token per page
    unknown = post_form(http, sim, form_of(again), username="nobody", password="x")
    assert "Incorrect username or password" in unknown.text
    consent = post_form(http, sim, form_of(unknown), username="alice", password="alice1234")
    assert "Alice Chen" in consent.text
    assert callback_params(post_form(http, sim, form_of(consent), decision="approve"), sim)


def test_forms_are_protected_against_csrf(sim: SimServer, http: httpx.Client) -> None:
    page = http.get(sim.info.login_url, params=authorize_params(sim))
    form = form_of(page)
    forged = post_form(http, sim, form, csrf="forged", username="demo", password="demo1234")
    assert forged.status_code == 403 and "location" not in forged.headers
    missing = http.post(sim.info.base_url + "/oauth2/login",
                        data={"flow": form["fields"]["flow"], "username": "demo",
                              "password": "demo1234"})
    assert missing.status_code == 403
    # the token of a page is good for one post only
    page = http.get(sim.info.login_url, params=authorize_params(sim))
    form = form_of(page)
    assert post_form(http, sim, form, username="demo", password="demo1234").status_code == 200
    replay = post_form(http, sim, form, username="demo", password="demo1234")
    assert replay.status_code == 403


def test_consent_needs_a_signed_in_flow(sim: SimServer, http: httpx.Client) -> None:
    page = http.get(sim.info.login_url, params=authorize_params(sim))
    fields = form_of(page)["fields"]
    early = http.post(sim.info.base_url + "/oauth2/consent",
                      data={"flow": fields["flow"], "csrf": fields["csrf"], "decision": "approve"})
    assert early.status_code == 403 and "location" not in early.headers
    unknown = http.post(sim.info.base_url + "/oauth2/consent",
                        data={"flow": "nope", "csrf": "nope", "decision": "approve"})
    assert unknown.status_code == 400


def test_consent_cannot_be_submitted_twice(sim: SimServer, http: httpx.Client) -> None:
    consent = login(http, sim)
    form = form_of(consent)
    assert post_form(http, sim, form, decision="approve").status_code == 302
    assert post_form(http, sim, form, decision="approve").status_code == 400


def test_an_abandoned_sign_in_expires(sim: SimServer, clock: ManualClock,
                                      http: httpx.Client) -> None:
    page = http.get(sim.info.login_url, params=authorize_params(sim))
    clock.advance(601)
    late = post_form(http, sim, form_of(page), username="demo", password="demo1234")
    assert late.status_code == 400 and "expired" in late.text


@pytest.mark.parametrize("override, message", [
    ({"client_id": "NOPE"}, "client_id"),
    ({"client_id": None}, "client_id"),
    ({"redirect_uri": "https://pennant.invalid/oauth/callback/"}, "redirect_uri"),
    ({"redirect_uri": "https://evil.example/cb"}, "redirect_uri"),
    ({"redirect_uri": None}, "redirect_uri"),
    ({"response_type": "token"}, "response_type"),
    ({"scope": "user:trade:r"}, "scope"),
    ({"state": None}, "state"),
    ({"state": ""}, "state"),
])
def test_bad_authorization_requests_never_redirect(
        sim: SimServer, http: httpx.Client, override: dict[str, str | None], message: str) -> None:
    response = http.get(sim.info.login_url, params=authorize_params(sim, **override))
    assert response.status_code == 417
    assert "location" not in response.headers
    assert error_of(response) == (417, "INVALID_PARAMETER")
    assert message in response.json()["message"]


def test_repeated_parameters_are_refused(sim: SimServer, http: httpx.Client) -> None:
    params: list[tuple[str, str | int | float | bool | None]] = [
        *authorize_params(sim).items(), ("state", "second")]
    response = http.get(sim.info.login_url, params=params)
    assert response.status_code == 417 and "location" not in response.headers


def test_the_redirect_uri_of_another_app_is_refused(sim: SimServer, http: httpx.Client) -> None:
    other = sim.state.registry.partners[1]
    response = http.get(sim.info.login_url,
                        params=authorize_params(sim, redirect_uri=other.redirect_uris[0]))
    assert response.status_code == 417


@pytest.mark.parametrize("path", ["/oauth2/authenticate/login",
                                  "/oauth2/sandbox/authenticate/login"])
def test_legacy_passport_paths_serve_the_same_flow(sim: SimServer, http: httpx.Client,
                                                    path: str) -> None:
    page = http.get(sim.info.base_url + path, params=authorize_params(sim, state="legacy"))
    assert page.status_code == 200
    consent = post_form(http, sim, form_of(page), username="bob", password="bob12345")
    params = callback_params(post_form(http, sim, form_of(consent), decision="approve"), sim)
    assert params["state"] == "legacy"
    bad = http.get(sim.info.base_url + path, params=authorize_params(sim, client_id="X"))
    assert bad.status_code == 417


def test_auto_approve_issues_a_code_for_the_first_demo_user(http: httpx.Client) -> None:
    with SimServer(auto_approve=True, clock=ManualClock()) as sim:
        answer = http.get(sim.info.login_url, params=authorize_params(sim, state=STATE))
        params = callback_params(answer, sim)
        assert params["state"] == STATE
        assert re.fullmatch(r"[A-Za-z0-9+/]+=*", params["code"])
        tokens = exchange(http, sim, params["code"])
        assert tokens.body["identity_id"] == sim.demo_users()[0].identity_id
        # parameter checks still apply
        bad = http.get(sim.info.login_url, params=authorize_params(sim, redirect_uri="https://x/"))
        assert bad.status_code == 417
