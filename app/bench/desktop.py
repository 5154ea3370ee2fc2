"""Desktop figures for ``make bench``: each runs Qt in a child process (app.bench stays Qt-free).

Cold start and idle memory use the start-up probe contract: launched with
``PENNANT_STARTUP_PROBE=<file>`` the app writes ``{"shown": t, "ready": t}`` (``time.time()``
when the window was shown and the loop first ran, and when the workspace was built), then
lingers ``PENNANT_STARTUP_PROBE_LINGER_S`` seconds (default 0) and exits with code 0.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .suite import Figure

PROBE_TIMEOUT_S = 30.0
RUNS = 5


class ProbeTimeout(RuntimeError):
    """The child never wrote its start-up probe (or never exited) in time."""


@dataclass(frozen=True)
class ProbeResult:
    shown_ms: float  # launch → window shown and the loop running
    ready_ms: float  # launch → workspace built
    rss_mib: float | None  # the child's resident memory once the probe appeared


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.update(extra)
    return env


def run_ui(which: str, *args: str, timeout: float = 120.0) -> dict[str, Any]:
    """Run ``python -m app.ui.bench_ui <which> ... --json`` and return its JSON object."""
    cmd = [sys.executable, "-m", "app.ui.bench_ui", which, *args, "--json"]
    done = subprocess.run(cmd, env=child_env(), capture_output=True, text=True, timeout=timeout,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench_ui {which} failed (exit {done.returncode}): "
                           f"{done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def vm_rss_mib(pid: int) -> float | None:
    """Resident memory of a live process from /proc (None once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def launch_probe(cmd: Sequence[str], *, linger_s: float = 0.0,
                 timeout: float = PROBE_TIMEOUT_S) -> ProbeResult:
    """Launch ``cmd`` with a probe file, wait for the probe, read the child's memory, reap it."""
    with tempfile.TemporaryDirectory(prefix="pennant-probe-") as tmp:
        probe = Path(tmp) / "probe.json"
        env = child_env(PENNANT_STARTUP_PROBE=str(probe),
                        PENNANT_STARTUP_PROBE_LINGER_S=f"{linger_s:g}")
        started = time.time()
        child = subprocess.Popen(list(cmd), env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, cwd=tmp)
        deadline = time.monotonic() + timeout
        try:
            data = _wait_probe(child, probe, deadline)
            rss = vm_rss_mib(child.pid) if child.poll() is None else None
            child.wait(timeout=max(0.1, deadline - time.monotonic()) + linger_s)
        except (ProbeTimeout, subprocess.TimeoutExpired) as exc:
            child.kill()
            child.communicate()
            raise ProbeTimeout(f"{' '.join(cmd[:4])} did not report its start-up within "
                               f"{timeout:g} s ({exc}); is PENNANT_STARTUP_PROBE supported?"
                               ) from None
        if child.returncode != 0:
            err = child.stderr.read().decode(errors="replace") if child.stderr else ""
            raise RuntimeError(f"{cmd[0]} exited with code {child.returncode}: {err[-2000:]}")
        if child.stderr:
            child.stderr.close()
    return ProbeResult((float(data["shown"]) - started) * 1000,
                       (float(data["ready"]) - started) * 1000, rss)


def _wait_probe(child: subprocess.Popen[bytes], probe: Path, deadline: float) -> dict[str, Any]:
    while time.monotonic() < deadline:
        if probe.exists():
            try:
                data = json.loads(probe.read_text())
            except ValueError:
                data = None  # caught mid-write
            if isinstance(data, dict) and "shown" in data and "ready" in data:
                return data
        if child.poll() is not None and not probe.exists():
            err = child.stderr.read().decode(errors="replace") if child.stderr else ""
            raise ProbeTimeout(f"it exited with code {child.returncode} without a probe "
                               f"{err.strip()[-500:]}")
        time.sleep(0.002)
    raise ProbeTimeout("no probe file")


def app_command(data_dir: str) -> list[str]:
    return [sys.executable, "-m", "app", "--demo", "--data-dir", data_dir]


def bare_command(linger_s: float = 0.0) -> list[str]:
    return [sys.executable, "-m", "app.ui.bench_ui", "bare-window", "--linger", f"{linger_s:g}"]


def cold_start(app_cmd: Sequence[str], bare_cmd: Sequence[str], runs: int = RUNS,
               timeout: float = PROBE_TIMEOUT_S) -> list[Figure]:
    """Alternate app and bare launches (one warm-up each), medians; then one idle-memory run each."""
    app_runs: list[ProbeResult] = []
    bare_runs: list[ProbeResult] = []
    for i in range(runs + 1):
        a = launch_probe(app_cmd, timeout=timeout)
        b = launch_probe(bare_cmd, timeout=timeout)
        if i:
            app_runs.append(a)
            bare_runs.append(b)
    shown = statistics.median(r.shown_ms for r in app_runs)
    ready = statistics.median(r.ready_ms for r in app_runs)
    bare = statistics.median(r.shown_ms for r in bare_runs)
    figures = [
        Figure("desktop_cold_start_ratio", shown / bare, "× bare", target=1.3),
        Figure("desktop_cold_start_ms", shown, "ms"),
        Figure("bare_qt_cold_start_ms", bare, "ms"),
        Figure("desktop_workspace_ready_ms", ready, "ms"),
    ]
    app_idle = launch_probe(app_cmd, linger_s=2.0, timeout=timeout).rss_mib
    bare_idle = launch_probe(list(bare_cmd[:-1]) + ["2"], linger_s=2.0, timeout=timeout).rss_mib
    if app_idle is not None and bare_idle is not None:
        figures += [
            Figure("desktop_idle_rss_mib", app_idle, "MiB (incl. Demo simulator)"),
            Figure("bare_qt_idle_rss_mib", bare_idle, "MiB"),
            Figure("desktop_idle_rss_ratio", app_idle / bare_idle, "× bare"),
        ]
    return figures


def bench_cold_start() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="pennant-bench-data-") as data_dir:
        try:
            return cold_start(app_command(data_dir), bare_command())
        except (ProbeTimeout, RuntimeError) as exc:
            print(f"desktop cold start and idle memory: figures missing — {exc}", file=sys.stderr)
            return []


def bench_positions_diff() -> list[Figure]:
    result = run_ui("diff", "--rows", "10000")
    return [
        Figure("desktop_positions_diff_apply_ms", result["apply_ms"], "ms", target=16.0),
        Figure("desktop_positions_diff_apply_sorted_ms", result["apply_sorted_ms"], "ms"),
    ]


def bench_poll_stall() -> list[Figure]:
    result = run_ui("stall", "--accounts", "20", "--positions", "2000", "--seconds", "15")
    return [
        Figure("desktop_poll_stall_max_ms", result["stall_max_ms"], "ms", target=16.0),
        Figure("desktop_poll_stall_p99_ms", result["stall_p99_ms"], "ms"),
    ]


DESKTOP_BENCHMARKS = (bench_positions_diff, bench_poll_stall, bench_cold_start)
