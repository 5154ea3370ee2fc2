"""`python -m app.bench --json` runs every benchmark and keeps its figure names stable.

Figures themselves are not asserted here (speed is checked by `make bench`, never by timed
tests); the runs are shortened so the smoke test is quick.
"""

from __future__ import annotations

import json

import pytest

from app.bench import __main__ as bench_main
from app.bench import sim_load, suite

NAMES = {
    "decode_positions_10k_ms", "parse_and_decode_positions_10k_ms", "decode_positions_per_s",
    "decode_positions_10k_peak_mib", "sign_request_us", "sim_signed_requests_per_core_s",
    "sim_signed_requests_per_s_observed", "sim_failed_requests",
}


def test_bench_json_names(monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(suite, "POSITIONS", 200)
    monkeypatch.setattr(sim_load, "DURATION_S", 0.2)
    assert bench_main.main(["--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert set(figures) == NAMES
    assert figures["sim_failed_requests"] == 0
    assert all(isinstance(v, int | float) and v >= 0 for v in figures.values())
