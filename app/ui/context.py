"""What the window needs from the outside world, gathered once at start-up by app.__main__."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from app.core.history import NlvHistory
from app.core.journal import OrderJournal
from app.core.keychain import Keychain, KeychainError
from app.core.paths import app_dirs
from app.core.settings import Settings, SettingsStore, load_credentials
from app.core.terminal import Terminal
from app.webull.environments import Environment, builtin_environments
from app.webull.oauth import ConnectCredentials

DEMO = "demo"

log = logging.getLogger(__name__)


class EnvironmentNotReady(Exception):
    """The environment cannot be opened yet (no credentials); the message says what to do."""


@dataclass
class AppContext:
    settings_store: SettingsStore
    settings: Settings
    keychain: Keychain
    history: NlvHistory | None
    environments: Mapping[str, Environment]
    #: starts the simulator on first use: its environment, partner credentials and registered
    #: loopback redirect (None: no Demo in this build)
    demo_provider: Callable[[], tuple[Environment, ConnectCredentials, str]] | None = None
    #: a message for the user gathered during start-up (e.g. a settings file that was unreadable)
    startup_notes: list[str] = field(default_factory=list)
    demo: tuple[Environment, ConnectCredentials] | None = None
    demo_loopback_uri: str = ""
    #: the order journal and audit log, shared by every environment (rows carry the
    #: environment's name); None only when it could not be opened: trading is then read-only
    journal: OrderJournal | None = None
    #: held while this Pennant owns the journal (released by ``close``)
    journal_lock: FileLock | None = None
    _demo_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def ensure_demo(self) -> None:
        """Start the Demo simulator if it is not running (blocking: call it from a thread)."""
        with self._demo_lock:
            if self.demo is None and self.demo_provider is not None:
                env, creds, loopback = self.demo_provider()
                self.demo, self.demo_loopback_uri = (env, creds), loopback

    def environment_names(self) -> list[str]:
        return ([DEMO] if self.demo_provider else []) + list(self.environments)

    def label(self, name: str) -> str:
        if name == DEMO:
            return "Demo (local simulator)"
        env = self.environments.get(name)
        return env.label if env else name

    def make_terminal(self, name: str) -> Terminal:
        if name == DEMO:
            if self.demo is None:
                raise EnvironmentNotReady("The Demo simulator is not running in this session.")
            env, creds = self.demo
            # Demo tokens belong to a simulator that lives as long as this process: memory only
            return Terminal(env, creds, keychain=None, history=self.history,
                            journal=self.journal, limits=self.settings.precautions)
        env = self.environments.get(name)
        if env is None:
            raise EnvironmentNotReady(f"Unknown environment {name!r}.")
        profile = self.settings.profiles.get(name)
        if profile is None:
            raise EnvironmentNotReady(
                f"{env.label} needs the credentials Webull issued to your app: enter them in "
                "Settings (Ctrl+,).")
        status = self.keychain.status()
        if not status.usable:
            raise EnvironmentNotReady(f"The system keychain is not usable: {status.problem}")
        try:
            creds = load_credentials(self.keychain, profile)
        except KeychainError as exc:
            raise EnvironmentNotReady(str(exc)) from None
        except ValueError as exc:
            raise EnvironmentNotReady(f"The saved credentials for {env.label} are incomplete: "
                                      f"{exc}. Enter them again in Settings.") from None
        return Terminal(env, creds, keychain=self.keychain, history=self.history,
                        journal=self.journal, limits=self.settings.precautions)

    def save_settings(self, settings: Settings) -> None:
        self.settings = settings
        self.settings_store.save(settings)

    def close(self) -> None:
        """Close the local databases and the keychain (at exit, after the window's shutdown)."""
        for resource in (self.history, self.journal):
            if resource is not None:
                resource.close()
        if self.journal_lock is not None:
            self.journal_lock.release()
        self.keychain.close()


def build_context(
    data_dir: Path | None,
    demo_provider: Callable[[], tuple[Environment, ConnectCredentials, str]] | None,
) -> AppContext:
    """Read the settings, open the local history, the order journal and the keychain (no Qt:
    runs off the GUI thread at start-up). ``data_dir`` replaces the platform's config and data
    folders."""
    dirs = app_dirs(data_dir)
    config, data = dirs.config, dirs.data
    store = SettingsStore(config / "settings.json")
    settings = store.load()
    notes = [store.load_error] if store.load_error else []
    try:
        history: NlvHistory | None = NlvHistory(data / "history.sqlite3")
    except Exception as exc:  # locked, corrupt or from a newer Pennant: never stops the terminal
        log.error("local history unavailable: %s", exc)
        notes.append(f"The local history could not be opened ({exc}); the net liquidation "
                     "chart will not be recorded in this session.")
        history = None
    journal, lock = open_journal(data, notes)
    return AppContext(store, settings, Keychain(), history, builtin_environments(),
                      demo_provider=demo_provider, startup_notes=notes, journal=journal,
                      journal_lock=lock)


def open_journal(data: Path, notes: list[str]) -> tuple[OrderJournal | None, FileLock | None]:
    """The order journal, held by this Pennant alone: a second Pennant on the same data folder
    would check and send the same orders (one could call an order in flight in the other
    "never received"), so it shows the accounts but does not trade. Problems go to ``notes``."""
    data.mkdir(parents=True, exist_ok=True)
    lock = FileLock(data / "journal.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        notes.append("Another Pennant is already running with the same data folder: this "
                     "window shows your accounts but does not trade, so the two never send or "
                     "check the same orders. Close the other one to trade here.")
        return None, None
    except OSError as exc:
        log.error("order journal lock unavailable: %s", exc)
        notes.append(f"The order journal could not be locked ({exc}); trading is unavailable "
                     "in this session.")
        return None, None
    try:
        return OrderJournal(data / "journal.sqlite3"), lock
    except Exception as exc:  # corrupt or newer: the portfolio still shows, no trading
        lock.release()
        log.error("order journal unavailable: %s", exc)
        notes.append(f"The order journal could not be opened ({exc}); Pennant cannot record "
                     "orders safely, so trading is unavailable in this session.")
        return None, None
