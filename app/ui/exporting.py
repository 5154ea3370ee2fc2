"""CSV export of positions, open orders and order history (the window asks where, without
blocking the event loop: see window_actions)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from app.core.export import orders_csv, positions_csv


def write_csv(path: Path, what: str, rows: Iterable[Any]) -> int:
    """Write the rows to ``path`` (UTF-8 with BOM so spreadsheet apps detect the encoding)."""
    writer = positions_csv if what == "positions" else orders_csv
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        return writer(rows, out)
