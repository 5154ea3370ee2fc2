"""The desktop benchmarks' plumbing: well-formed JSON from the Qt child, and the start-up probe
harness (a probe written by a fake command, and a clean timeout when none is). No timed asserts."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from app.bench import desktop

FAKE = """
import json, os, sys, time
probe, linger = os.environ["PENNANT_STARTUP_PROBE"], float(os.environ["PENNANT_STARTUP_PROBE_LINGER_S"])
now = time.time()
with open(probe + ".tmp", "w") as fh:
    json.dump({"shown": now, "ready": now + 0.05}, fh)
os.replace(probe + ".tmp", probe)
time.sleep(linger)
"""


def test_diff_json() -> None:
    result = desktop.run_ui("diff", "--rows", "200", "--runs", "3")
    assert result["rows"] == 200
    assert result["apply_ms"] >= 0 and result["apply_sorted_ms"] >= 0


def test_stall_json() -> None:
    result = desktop.run_ui("stall", "--accounts", "2", "--positions", "50", "--seconds", "1")
    assert {"stall_max_ms", "stall_p99_ms", "ticks"} <= set(result)
    assert result["ticks"] > 0
    assert result["positions_requests"] >= 2  # both accounts were polled
    assert result["focused_rows"] == 50  # the focused account reached the model
    assert 0 <= result["stall_p99_ms"] <= result["stall_max_ms"]


def test_bare_window_writes_probe() -> None:
    result = desktop.launch_probe(desktop.bare_command(0.5), linger_s=0.5)
    assert 0 < result.shown_ms <= result.ready_ms
    assert result.rss_mib is not None and result.rss_mib > 1


def test_probe_from_fake_command(tmp_path: Path) -> None:
    script = tmp_path / "fake.py"
    script.write_text(FAKE)
    result = desktop.launch_probe([sys.executable, str(script)], linger_s=0.5)
    assert result.ready_ms > result.shown_ms > 0
    assert result.rss_mib is not None


def test_cold_start_figures_from_fakes(tmp_path: Path) -> None:
    script = tmp_path / "fake.py"
    script.write_text(FAKE)
    cmd = [sys.executable, str(script), "--linger", "0"]
    names = {f.name for f in desktop.cold_start(cmd, cmd, runs=1)}
    assert names == {"desktop_cold_start_ratio", "desktop_cold_start_ms", "bare_qt_cold_start_ms",
                     "desktop_workspace_ready_ms", "desktop_idle_rss_mib",
                     "bare_qt_idle_rss_mib", "desktop_idle_rss_ratio"}


def test_probe_timeout_kills_silent_child(tmp_path: Path) -> None:
    script = tmp_path / "silent.py"
    script.write_text("import time\ntime.sleep(60)\n")
    start = time.monotonic()
    with pytest.raises(desktop.ProbeTimeout, match="did not report its start-up"):
        desktop.launch_probe([sys.executable, str(script)], timeout=1.0)
    assert time.monotonic() - start < 10


def test_child_exiting_without_probe_is_reported(tmp_path: Path) -> None:
    script = tmp_path / "quits.py"
    script.write_text("import sys\nsys.exit(3)\n")
    with pytest.raises(desktop.ProbeTimeout, match="exited with code 3"):
        desktop.launch_probe([sys.executable, str(script)], timeout=5.0)


def test_missing_app_probe_yields_no_figures(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    script = tmp_path / "silent.py"
    script.write_text("import time\ntime.sleep(60)\n")
    monkeypatch.setattr(desktop, "app_command", lambda _d: [sys.executable, str(script)])
    monkeypatch.setattr(desktop, "PROBE_TIMEOUT_S", 1.0)
    monkeypatch.setattr(desktop, "cold_start", lambda a, b: desktop.launch_probe(a, timeout=1.0))
    assert desktop.bench_cold_start() == []
    assert "figures missing" in capsys.readouterr().err
