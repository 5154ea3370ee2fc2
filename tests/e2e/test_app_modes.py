"""The scripted modes of the real app, each in its own process as a user would run them:
``--screenshot`` (sign in through the embedded login view, wait for every panel, save a PNG)
and ``--selftest``."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_app(*args: str, keyring_backend: str | None = None, timeout: float = 120,
            path_first: Path | None = None,
            extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    pythonpath = os.pathsep.join([str(path_first), str(ROOT)] if path_first else [str(ROOT)])
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QTWEBENGINE_DISABLE_SANDBOX="1",
               PYTHONPATH=pythonpath, **(extra_env or {}))
    if keyring_backend:
        env["PYTHON_KEYRING_BACKEND"] = keyring_backend
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    return struct.unpack(">II", data[16:24])


@pytest.mark.timeout(150)
def test_screenshot_signs_in_and_saves_the_populated_window(tmp_path: Path) -> None:
    out = tmp_path / "shot" / "main.png"
    done = run_app("--demo", "--screenshot", str(out), "--data-dir", str(tmp_path / "data"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"Saved {out}" in done.stdout
    width, height = png_size(out)
    assert width >= 1000 and height >= 700
    assert out.stat().st_size > 50_000  # a window full of text, not a blank frame
    # the net liquidation value was recorded locally on the balance polls
    assert (tmp_path / "data" / "history.sqlite3").exists()


def test_selftest_passes_with_a_usable_keychain() -> None:
    done = run_app("--selftest", keyring_backend="tests.fakes.MemoryKeyring")
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    for check in ("Qt", "QtWebEngine", "Keychain", "SQLite", "App"):
        assert any(line.startswith("ok") and check in line.split()
                   for line in done.stdout.splitlines()), done.stdout
    assert "self-test passed" in done.stdout


def test_selftest_fails_and_says_why_without_a_keychain() -> None:
    done = run_app("--selftest", keyring_backend="keyring.backends.fail.Keyring")
    assert done.returncode == 1
    line = next(line for line in done.stdout.splitlines() if "Keychain" in line)
    assert line.startswith("FAIL")
    assert len(line) > 30  # carries the reason
    assert "self-test failed: 1 check(s)" in done.stdout


def test_qt_messages_while_python_exits_do_not_crash_it() -> None:
    # with plugin debugging on, Qt logs every plugin it unloads as the process ends: these
    # messages must not reach the Python handler once Python is shutting down (it crashed, 139)
    done = run_app("--selftest", keyring_backend="tests.fakes.MemoryKeyring",
                   extra_env={"QT_DEBUG_PLUGINS": "1"})
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert "unloaded library" in done.stderr  # the late messages did come, from Qt's own handler


def test_startup_probe_reports_the_window_shown_before_the_workspace(tmp_path: Path) -> None:
    import json

    probe = tmp_path / "probe.json"
    env_extra = {"PENNANT_STARTUP_PROBE": str(probe)}
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT), **env_extra)
    done = subprocess.run([sys.executable, "-m", "app", "--demo", "--data-dir",
                           str(tmp_path / "data")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    times = json.loads(probe.read_text())
    assert set(times) == {"shown", "ready"}
    assert times["shown"] <= times["ready"]


def test_a_broken_install_says_so_and_exits(tmp_path: Path) -> None:
    """A module missing from an install (here the chart library) fails the start with the
    reason, instead of leaving an empty window, or a screenshot run waiting for ever."""
    broken = tmp_path / "pyqtgraph"
    broken.mkdir()
    (broken / "__init__.py").write_text('raise ImportError("pyqtgraph is broken (test)")\n')
    shot = tmp_path / "shot.png"
    done = run_app("--demo", "--screenshot", str(shot), "--data-dir", str(tmp_path / "data"),
                   path_first=tmp_path, timeout=60)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "could not start: ImportError: pyqtgraph is broken (test)" in done.stderr
    assert not shot.exists()
