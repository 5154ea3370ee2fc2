"""The command line: flags that answer without opening the window."""

from __future__ import annotations

import pytest

from app.__main__ import main


def test_screenshot_runs_in_demo_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--env", "production", "--screenshot", "x.png"]) == 2
    assert "Demo environment only" in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("Pennant ")


def test_unknown_environment_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--env", "moon"]) == 2
    assert "unknown environment 'moon'" in capsys.readouterr().err


def test_list_environments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-environments"]) == 0
    out = capsys.readouterr().out
    assert "https://oauth-open-api.sandbox.webull.com" in out
    assert "https://us-oauth-open-api.webull.com" in out
