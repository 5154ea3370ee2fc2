"""Test-wide set-up: headless Qt, log redaction from the first record, in-memory keyring."""

from __future__ import annotations

import os

# Qt runs offscreen; QtWebEngine runs as root here, so its sandbox is off — in tests only.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

import pytest  # noqa: E402

from app.core.events import EventBus  # noqa: E402
from app.webull.redaction import install_log_redaction  # noqa: E402
from tests.fakes import Recorder  # noqa: E402

install_log_redaction()


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def recorder(bus: EventBus) -> Recorder:
    """Every event published on ``bus``."""
    return Recorder(bus)
