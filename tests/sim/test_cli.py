"""``python -m app.sim``: one JSON line on stdout, serves until SIGTERM/SIGINT, exits 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.sim import SimServer

from .support import authorize_params

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"base_url", "login_url", "client_id", "client_secret", "app_key", "app_secret",
        "redirect_uri", "scope"}


def _start(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "app.sim", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_one_json_line_and_stops_cleanly(stop_signal: signal.Signals) -> None:
    proc = _start("--seed", "11", "--port", "0")
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # returns once the server listens
        info = json.loads(line)
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
        proc.send_signal(stop_signal)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert out == "", "nothing but the one JSON line may reach stdout"
    assert "simulator stopped" in err


def test_cli_credentials_are_fixed_per_seed_and_match_in_process() -> None:
    proc = _start("--seed", "11")
    try:
        assert proc.stdout is not None
        cli = json.loads(proc.stdout.readline())
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    with SimServer(seed=11) as same, SimServer(seed=12) as other:
        mine = same.info.to_dict()
        theirs = other.info.to_dict()
    for key in KEYS - {"base_url", "login_url"}:
        assert cli[key] == mine[key], key
    assert cli["client_id"] != theirs["client_id"]
    assert cli["app_secret"] != theirs["app_secret"]


def test_cli_auto_approve_redirects_at_once() -> None:
    proc = _start("--auto-approve", "--quiet")
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        with httpx.Client(trust_env=False, timeout=5) as http:
            answer = http.get(info["login_url"], params={
                "response_type": "code", "client_id": info["client_id"], "scope": info["scope"],
                "state": "s1", "redirect_uri": info["redirect_uri"]})
        assert answer.status_code == 302
        assert answer.headers["location"].startswith(info["redirect_uri"] + "?code=")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert "app.sim.access" not in err  # --quiet


def test_authorize_params_helper_matches_cli_contract() -> None:
    with SimServer() as sim:
        assert set(authorize_params(sim)) == {"response_type", "client_id", "scope", "state",
                                              "redirect_uri"}
