"""CSV export of positions, open orders and order history, chosen with a file dialog."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QWidget

from app.core.export import orders_csv, positions_csv

_TITLES = {"positions": "positions", "orders": "open orders", "history": "order history"}


def write_csv(path: Path, what: str, rows: Iterable[Any]) -> int:
    """Write the rows to ``path`` (UTF-8 with BOM so spreadsheet apps detect the encoding)."""
    writer = positions_csv if what == "positions" else orders_csv
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        return writer(rows, out)


def export_csv(parent: QWidget, what: str, rows: Iterable[Any]) -> str:
    """Ask where to save, write, and return a status message ("" if the user cancelled)."""
    title = _TITLES[what]
    default = f"pennant-{what}-{datetime.now():%Y%m%d-%H%M}.csv"
    name, _ = QFileDialog.getSaveFileName(parent, f"Export {title}", str(Path.home() / default),
                                          "CSV files (*.csv)")
    if not name:
        return ""
    path = Path(name)
    try:
        count = write_csv(path, what, rows)
    except OSError as exc:
        return f"Could not write {path.name}: {exc.strerror or exc}"
    return f"Exported {count} rows of {title} to {path}"
