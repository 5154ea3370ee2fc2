"""Settings file (defaults, round trip, atomic save, corrupt file kept aside), the app-credentials
form check, and app secrets through the keychain."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app.core.keychain import Keychain, KeychainError, credential_name
from app.core.paths import AppDirs, app_dirs
from app.core.settings import (
    ConnectProfile,
    Settings,
    SettingsStore,
    load_credentials,
    profile_errors,
    save_credentials,
)
from app.webull.oauth import ConnectCredentials
from tests.fakes import MemoryKeyring

PROFILE = ConnectProfile("sandbox", "cid-1", "key-1", "https://example.com/cb", "user:trade:wr",
                         "http://127.0.0.1/oauth/callback")

GOOD = {
    "environment": "sandbox",
    "client_id": "cid-1",
    "client_secret": "s3cret",
    "app_key": "key-1",
    "app_secret": "app-s3cret",
    "redirect_uri": "https://example.com/cb",
    "scope": "user:trade:wr",
    "loopback_redirect_uri": "",
}


@pytest.fixture
def store(tmp_path: Path) -> SettingsStore:
    return SettingsStore(tmp_path / "Pennant" / "settings.json")


def test_defaults_without_a_file(store: SettingsStore) -> None:
    settings = store.load()
    assert settings == Settings()
    assert (settings.environment, settings.theme, settings.login_route) == (
        "demo", "system", "embedded")
    assert settings.tray_notifications is False and settings.profiles == {}
    assert store.load_error is None


def test_round_trip(store: SettingsStore) -> None:
    settings = Settings(environment="sandbox", profiles={"sandbox": PROFILE}, theme="dark",
                        tray_notifications=True, login_route="browser")
    store.save(settings)
    assert store.load() == settings
    assert store.load_error is None
    data = json.loads(store.path.read_text("utf-8"))
    assert data["version"] == 1
    assert "s3cret" not in store.path.read_text("utf-8")


def test_save_is_atomic(store: SettingsStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.save(Settings(theme="dark"))
    before = store.path.read_bytes()
    calls: list[tuple[str, str]] = []

    def failing_replace(src: str, dst: str) -> None:
        calls.append((str(src), str(dst)))
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        store.save(Settings(theme="light"))
    monkeypatch.undo()
    assert calls and calls[0][1] == str(store.path)
    assert Path(calls[0][0]).parent == store.path.parent  # same directory: a true rename
    assert store.path.read_bytes() == before  # the old file is untouched
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["settings.json"]  # no litter
    store.save(Settings(theme="light"))
    assert store.load().theme == "light"


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"version": 99, "theme": "dark"}',
                                     '{"theme": "dark"}'])
def test_corrupt_file_gives_defaults_and_is_kept(store: SettingsStore, content: str) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(content, encoding="utf-8")
    assert store.load() == Settings()
    assert store.load_error is not None
    assert "defaults are in use" in store.load_error
    assert str(store.bad_path) in store.load_error
    assert store.bad_path.name == "settings.json.bad"
    assert store.bad_path.read_text(encoding="utf-8") == content
    assert not store.path.exists()


def test_unusable_values_are_reset_and_reported(store: SettingsStore) -> None:
    store.path.parent.mkdir(parents=True)
    raw = {"version": 1, "theme": "purple", "tray_notifications": "yes", "login_route": "browser",
           "profiles": {"sandbox": {**PROFILE.__dict__, "redirect_uri": "http://evil.example/"},
                        "production": "nonsense"},
           "from_the_future": 1}
    store.path.write_text(json.dumps(raw), encoding="utf-8")
    settings = store.load()
    assert settings.theme == "system" and settings.tray_notifications is False
    assert settings.login_route == "browser"  # the good values stay
    assert settings.profiles == {}
    assert store.load_error is not None
    for words in ("theme 'purple'", "tray_notifications", "'sandbox'", "'production'"):
        assert words in store.load_error
    assert json.loads(store.bad_path.read_text("utf-8")) == raw


def test_save_refuses_unknown_choices(store: SettingsStore) -> None:
    with pytest.raises(ValueError, match="theme"):
        store.save(Settings(theme="neon"))
    with pytest.raises(ValueError, match="login_route"):
        store.save(Settings(login_route="carrier pigeon"))


def test_app_dirs_are_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    dirs = app_dirs()
    assert dirs == AppDirs(tmp_path / "config" / "Pennant", tmp_path / "data" / "Pennant")
    assert dirs.config.is_dir() and dirs.data.is_dir()


def test_good_profile_has_no_errors() -> None:
    assert profile_errors(GOOD) == {}
    padded = {k: f"  {v}\t" for k, v in GOOD.items()}
    assert profile_errors(padded) == {}
    loopback = {**GOOD, "redirect_uri": "http://127.0.0.1:8765/cb",
                "loopback_redirect_uri": "http://127.0.0.1/oauth/callback"}
    assert profile_errors(loopback) == {}


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("client_id", "", "Client ID is required"),
        ("client_secret", "   ", "Client secret is required"),
        ("app_key", "", "App key is required"),
        ("app_secret", "", "App secret is required"),
        ("scope", "", "Scope is required"),
        ("environment", "", "Environment is required"),
        ("environment", "Sand Box", "short lower-case name"),
        ("client_id", "cid\u200b1", "invisible character (U+200B ZERO WIDTH SPACE)"),
        ("app_secret", "ab\ufeffc", "U+FEFF"),
        ("app_key", "key\x07", "U+0007"),
        ("client_id", "cid 1", "must not contain spaces"),
        ("redirect_uri", "", "Redirect URI is required"),
        ("redirect_uri", "http://example.com/cb", "must use https"),
        ("redirect_uri", "https://example.com/cb#frag", "fragment"),
        ("redirect_uri", "https://example.com/cb#", "fragment"),
        ("redirect_uri", "example.com/cb", "full address"),
        ("redirect_uri", "ftp://example.com/cb", "must start with https://"),
        ("redirect_uri", "https://user:pw@example.com/cb", "user name or password"),
        ("redirect_uri", "https://example.com:99999/cb", "not a valid URL"),
        ("loopback_redirect_uri", "https://127.0.0.1/cb", "http://127.0.0.1/"),
        ("loopback_redirect_uri", "http://localhost/cb", "http://127.0.0.1/"),
        ("loopback_redirect_uri", "http://127.0.0.1:8080/cb", "must not name a port"),
        ("loopback_redirect_uri", "http://127.0.0.1/cb?x=1", "query"),
    ],
)
def test_profile_errors_name_the_field(field: str, value: str, words: str) -> None:
    errors = profile_errors({**GOOD, field: value})
    assert list(errors) == [field]
    assert words in errors[field]


def test_missing_keys_are_required() -> None:
    errors = profile_errors({})
    assert set(errors) == {"environment", "client_id", "client_secret", "app_key",
                           "app_secret", "redirect_uri", "scope"}


def creds() -> ConnectCredentials:
    return ConnectCredentials("cid-1", "s3cret", "key-1", "app-s3cret", "user:trade:wr",
                              "https://example.com/cb")


def test_credentials_round_trip_through_the_keychain(keychain: Keychain,
                                                     memory_backend: MemoryKeyring) -> None:
    profile = save_credentials(keychain, creds(), "sandbox",
                               loopback_redirect_uri="http://127.0.0.1/oauth/callback")
    assert profile == PROFILE
    assert keychain.get(credential_name("sandbox", "cid-1", "client_secret")) == "s3cret"
    assert keychain.get(credential_name("sandbox", "cid-1", "app_secret")) == "app-s3cret"
    assert load_credentials(keychain, profile) == creds()
    assert load_credentials(keychain, profile).client_secret == "s3cret"


def test_missing_secret_is_a_keychain_error(keychain: Keychain) -> None:
    save_credentials(keychain, creds(), "sandbox")
    keychain.delete(credential_name("sandbox", "cid-1", "app_secret"))
    with pytest.raises(KeychainError, match="app secret for the sandbox app"):
        load_credentials(keychain, PROFILE)


def test_precautions_round_trip_exactly(store: SettingsStore) -> None:
    from decimal import Decimal

    from app.core.precautions import Limits, Severity

    limits = Limits(max_order_value=Decimal("25000.50"), max_quantity=None,
                    max_deviation_pct=Decimal("2.5"), max_deviation_ticks=40,
                    deviation_severity=Severity.BLOCK)
    store.save(Settings(precautions=limits))
    assert store.load().precautions == limits
    assert store.load_error is None


def test_unusable_precautions_fall_back_one_by_one(store: SettingsStore) -> None:
    import json
    from decimal import Decimal

    from app.core.precautions import Limits, Severity

    store.save(Settings())
    data = json.loads(store.path.read_text())
    data["precautions"].update(max_order_value="-5", max_quantity="NaN",
                               max_deviation_ticks=True, wrong_side_stop_severity="maybe",
                               max_deviation_pct="3")
    store.path.write_text(json.dumps(data))
    loaded = store.load().precautions
    assert loaded == Limits(max_deviation_pct=Decimal("3"))
    assert loaded.wrong_side_stop_severity is Severity.BLOCK
    error = store.load_error or ""
    for name in ("max_order_value", "max_quantity", "max_deviation_ticks",
                 "wrong_side_stop_severity"):
        assert f"precautions.{name}" in error
