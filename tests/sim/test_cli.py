"""``python -m app.sim``: one JSON line on stdout, serves until SIGTERM/SIGINT, exits 0."""

from __future__ import annotations

import signal

import httpx
import pytest

from app.sim import SimServer

from .support import authorize_params, cli_simulator

KEYS = {"base_url", "login_url", "client_id", "client_secret", "app_key", "app_secret",
        "redirect_uri", "scope", "loopback_redirect_uri"}


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_one_json_line_and_stops_cleanly(stop_signal: signal.Signals) -> None:
    with cli_simulator("--seed", "11", "--port", "0", stop_signal=stop_signal) as run:
        info = run.info
        assert set(info) == KEYS
        assert info["base_url"].startswith("http://127.0.0.1:")
        assert info["login_url"] == info["base_url"] + "/oauth2/auth-codes/get"
        for name in ("client_id", "client_secret", "app_key", "app_secret"):
            assert info[name].isalnum() and len(info[name]) >= 16, name
        assert info["scope"] == "user:trade:wr"
        with httpx.Client(trust_env=False, timeout=5) as http:
            page = http.get(info["login_url"], params={
                "response_type": "code", "client_id": info["client_id"], "scope": info["scope"],
                "state": "s1", "redirect_uri": info["redirect_uri"]})
        assert page.status_code == 200 and "<form" in page.text
    assert run.proc.returncode == 0, run.err
    assert run.out == "", "nothing but the one JSON line may reach stdout"
    assert "simulator stopped" in run.err


def test_cli_credentials_are_fixed_per_seed_and_match_in_process() -> None:
    with cli_simulator("--seed", "11") as run:
        cli = run.info
    assert run.proc.returncode == 0
    with SimServer(seed=11) as same, SimServer(seed=12) as other:
        mine = same.info.to_dict()
        theirs = other.info.to_dict()
    for key in KEYS - {"base_url", "login_url"}:
        assert cli[key] == mine[key], key
    assert cli["client_id"] != theirs["client_id"]
    assert cli["app_secret"] != theirs["app_secret"]


def test_cli_auto_approve_redirects_at_once() -> None:
    with cli_simulator("--auto-approve", "--quiet") as run:
        info = run.info
        with httpx.Client(trust_env=False, timeout=5) as http:
            answer = http.get(info["login_url"], params={
                "response_type": "code", "client_id": info["client_id"], "scope": info["scope"],
                "state": "s1", "redirect_uri": info["redirect_uri"]})
        assert answer.status_code == 302
        assert answer.headers["location"].startswith(info["redirect_uri"] + "?code=")
    assert run.proc.returncode == 0
    assert "app.sim.access" not in run.err  # --quiet


def test_authorize_params_helper_matches_cli_contract() -> None:
    with SimServer() as sim:
        assert set(authorize_params(sim)) == {"response_type", "client_id", "scope", "state",
                                              "redirect_uri"}
