"""Where Pennant keeps its files: the platform's per-user config and data folders (platformdirs),
never next to the executable. (The window layout is Qt's: QSettings, see app/ui/boot.py.)"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "Pennant"


@dataclass(frozen=True)
class AppDirs:
    config: Path
    data: Path


def app_dirs(override: Path | None = None) -> AppDirs:
    """The per-user config and data directories (both ``override`` when given), created on
    first use."""
    if override is not None:
        dirs = AppDirs(config=override, data=override)
    else:
        dirs = AppDirs(
            config=platformdirs.user_config_path(APP_NAME, appauthor=False),
            data=platformdirs.user_data_path(APP_NAME, appauthor=False),
        )
    for path in (dirs.config, dirs.data):
        path.mkdir(parents=True, exist_ok=True)
    return dirs

