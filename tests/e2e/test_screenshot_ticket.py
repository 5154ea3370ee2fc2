"""``--screenshot-ticket PATH`` as a user runs it: sign in to Demo, fill an order ticket,
preview it with the simulator, save both pictures — and send nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.e2e.test_app_modes import png_size, run_app


@pytest.mark.timeout(150)
def test_screenshot_ticket_saves_the_ticket_and_its_preview(tmp_path: Path) -> None:
    out = tmp_path / "shots" / "ticket.png"
    data = tmp_path / "data"
    done = run_app("--demo", "--screenshot-ticket", str(out), "--data-dir", str(data))
    assert done.returncode == 0, done.stderr[-2000:]
    preview = tmp_path / "shots" / "ticket-preview.png"
    assert f"Saved {out}" in done.stdout and f"Saved {preview}" in done.stdout
    width, height = png_size(out)
    assert width >= 600 and height >= 500
    assert out.stat().st_size > 20_000  # a filled form, not a blank frame
    width, height = png_size(preview)
    assert width >= 600 and height >= 200
    assert preview.stat().st_size > 10_000
    with sqlite3.connect(data / "journal.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM intents").fetchone() == (0,)  # nothing sent
        events = [row[0] for row in db.execute("SELECT event FROM audit")]
    assert "preview" in events


def test_screenshot_and_screenshot_ticket_exclude_each_other(tmp_path: Path) -> None:
    done = run_app("--screenshot", str(tmp_path / "a.png"), "--screenshot-ticket",
                   str(tmp_path / "b.png"), timeout=60)
    assert done.returncode == 2
    assert "not both" in done.stderr
