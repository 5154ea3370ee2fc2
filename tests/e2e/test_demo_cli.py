"""`make run` until the window exists: the terminal Demo signs in and prints every account."""

from __future__ import annotations

import pytest

from app.__main__ import main


def test_demo_once_prints_every_account(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--demo", "--once"]) == 0
    out = capsys.readouterr().out
    assert "Signed in (identity" in out
    for label in ("Individual Margin", "Futures", "Crypto", "Events Cash"):
        assert label in out
    assert "VERTICAL" in out  # the multi-leg option position with its strategy


def test_unknown_environment_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--env", "moon"]) == 2
    assert "unknown environment 'moon'" in capsys.readouterr().err


def test_list_environments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-environments"]) == 0
    out = capsys.readouterr().out
    assert "https://oauth-open-api.sandbox.webull.com" in out
    assert "https://us-oauth-open-api.webull.com" in out
