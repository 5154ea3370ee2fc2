"""Simulator throughput: signed, authenticated requests per second it serves on one core.

The simulator runs as its own process (``python -m app.sim``) pinned to one CPU; the load comes
from this process, pinned to another where the machine has one, over keep-alive loopback
connections. Every request is freshly signed (the simulator refuses a replayed nonce) and
carries a Bearer token obtained through the real OAuth flow.

Two figures: the requests per second observed, which on a 2-core machine is bounded by this
Python load generator (httpx costs more per request than the simulator does), and the
requests served per CPU-second the simulator process used (from /proc), which is what one
core of simulator can serve.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from app.webull.signing import SigningKey, sign_headers

PATH = "/trading/accounts/list"
WORKERS = 4
DURATION_S = 3.0


def _pin(pid: int, cpu: int) -> bool:
    if not hasattr(os, "sched_setaffinity"):
        return False
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(pid, {cpus[cpu % len(cpus)]})
    return True


def _start_simulator() -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.sim", "--auto-approve", "--no-rate-limits", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    _pin(proc.pid, 0)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()
        raise RuntimeError("the simulator did not start")
    return proc, json.loads(line)


async def _token(http: httpx.AsyncClient, info: dict[str, str], key: SigningKey) -> str:
    query = {"response_type": "code", "client_id": info["client_id"], "scope": info["scope"],
             "state": "bench-state-0001", "redirect_uri": info["redirect_uri"]}
    answer = await http.get(info["login_url"], params=query)
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    form = {"client_id": info["client_id"], "client_secret": info["client_secret"],
            "grant_type": "authorization_code", "code": code}
    host = urlsplit(info["base_url"]).netloc
    headers = sign_headers(key, host=host, path="/oauth2/tokens/create", form=form)
    answer = await http.post(info["base_url"] + "/oauth2/tokens/create", data=form,
                             headers={**headers, "x-version": "v2"})
    answer.raise_for_status()
    return str(answer.json()["access_token"])


async def _load(info: dict[str, str], pid: int | None = None
                ) -> tuple[int, int, float, float | None]:
    key = SigningKey(info["app_key"], info["app_secret"])
    host = urlsplit(info["base_url"]).netloc
    limits = httpx.Limits(max_connections=WORKERS, max_keepalive_connections=WORKERS)
    async with httpx.AsyncClient(limits=limits, trust_env=False, timeout=10.0) as http:
        bearer = f"Bearer {await _token(http, info, key)}"
        url = info["base_url"] + PATH
        ok = failed = 0
        deadline = 0.0

        async def worker() -> None:
            nonlocal ok, failed
            while time.perf_counter() < deadline:
                headers = sign_headers(key, host=host, path=PATH)
                headers.update({"x-version": "v3", "Authorization": bearer})
                response = await http.get(url, headers=headers)
                if response.status_code == 200:
                    ok += 1
                else:
                    failed += 1

        deadline = time.perf_counter() + 0.5  # warm-up: connections, caches
        await asyncio.gather(*(worker() for _ in range(WORKERS)))
        ok = failed = 0
        cpu_before = _cpu_seconds(pid) if pid else None
        started = time.perf_counter()
        deadline = started + DURATION_S
        await asyncio.gather(*(worker() for _ in range(WORKERS)))
        elapsed = time.perf_counter() - started
        cpu_after = _cpu_seconds(pid) if pid else None
        cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
        return ok, failed, elapsed, cpu


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc), None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure() -> dict[str, Any]:
    pinned = _pin(0, 1)
    proc, info = _start_simulator()
    try:
        ok, failed, elapsed, cpu = asyncio.run(_load(info, proc.pid))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    return {"requests_per_s": ok / elapsed, "failed": failed, "pinned": pinned,
            "requests_per_cpu_s": ok / cpu if cpu else None}
