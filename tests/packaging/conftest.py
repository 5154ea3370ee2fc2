"""The packaging scripts are plain scripts beside the spec, not part of the app package: make
them importable the way the spec and build_deb.py import them."""

from __future__ import annotations

import sys
from pathlib import Path

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"
for folder in (PACKAGING, PACKAGING / "linux"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
