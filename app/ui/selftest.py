"""``--selftest``: start, check that Qt, QtWebEngine, the keychain and SQLite are usable and that
every module of the app imports, exit.

Each check prints one line; the exit status is 0 only when every check passed. Used by the
installers' smoke tests, so it must work offscreen and without network.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer, QUrl
from PySide6.QtWidgets import QApplication, QLabel

Check = Callable[[], str]


def check_qt() -> str:
    label = QLabel("Pennant")
    label.resize(120, 30)
    image = label.grab().toImage()
    if image.isNull() or image.width() < 1:
        raise RuntimeError("could not render a widget")
    from PySide6 import __version__

    platform = QApplication.platformName()
    return f"PySide6 {__version__}, platform {platform}"


def check_webengine() -> str:
    from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile

    profile = QWebEngineProfile()  # off the record, like the login view
    page = QWebEnginePage(profile)
    loop = QEventLoop()
    outcome: list[bool] = []
    page.loadFinished.connect(lambda ok: (outcome.append(ok), loop.quit()))
    QTimer.singleShot(20_000, loop.quit)
    page.setHtml("<html><body>Pennant self-test</body></html>", QUrl("about:blank"))
    loop.exec()
    del page  # pages go before their profile
    if outcome != [True]:
        raise RuntimeError("the web engine did not load a page within 20 s")
    return "rendered a page"


def check_keychain() -> str:
    from app.core.keychain import Keychain

    keychain = Keychain(service="Pennant self-test")
    try:
        status = keychain.status()
        if not status.usable:
            raise RuntimeError(status.problem)
        name = "selftest/probe"
        keychain.set(name, "probe-value")
        try:
            if keychain.get(name) != "probe-value":
                raise RuntimeError(f"{status.backend} did not return what was stored")
        finally:
            keychain.delete(name)
        return status.backend
    finally:
        keychain.close()


def check_sqlite() -> str:
    from app.core.history import NlvHistory

    with tempfile.TemporaryDirectory() as tmp:
        history = NlvHistory(Path(tmp) / "selftest.sqlite3")
        try:
            at = datetime.now(UTC).replace(microsecond=0)
            history.record("selftest", "acct", at, Decimal("12345.67"))
            if [v for _, v in history.series("selftest", "acct")] != [Decimal("12345.67")]:
                raise RuntimeError("a stored value did not come back exactly")
        finally:
            history.close()
    return f"SQLite {sqlite3.sqlite_version}"


def check_app() -> str:
    """Every module of Pennant imports and the exchange's time zone is known: a bundle that
    lacks a module or data file fails here rather than when the main window opens."""
    import importlib
    import pkgutil
    from zoneinfo import ZoneInfo

    import app

    ZoneInfo("America/New_York")  # Windows has no zone files of its own: the tzdata package
    skip = ("app.bench", "app.ui.bench_ui")  # developer tools, not shipped
    names = [m.name for m in pkgutil.walk_packages(app.__path__, "app.")
             if not m.name.startswith(skip) and not m.name.endswith("__main__")]
    for name in names:
        importlib.import_module(name)
    if len(names) < 50:  # app/ has well over a hundred modules: a short list is a broken bundle
        raise RuntimeError(f"only {len(names)} modules of Pennant were found")
    return f"{len(names)} modules, New York time zone"


def run_selftest() -> int:
    from .boot import make_qapplication

    make_qapplication()
    checks: list[tuple[str, Check]] = [("Qt", check_qt), ("QtWebEngine", check_webengine),
                                       ("Keychain", check_keychain), ("SQLite", check_sqlite),
                                       ("App", check_app)]
    failed = 0
    for name, check in checks:
        try:
            detail = check()
        except Exception as exc:  # every failure is reported, none stops the others
            failed += 1
            print(f"FAIL  {name:<12} {exc}")
        else:
            print(f"ok    {name:<12} {detail}")
    print("self-test passed" if not failed else f"self-test failed: {failed} check(s)")
    sys.stdout.flush()
    return 1 if failed else 0
