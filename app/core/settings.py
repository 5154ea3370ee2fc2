"""Non-secret settings in a JSON file; the app's secrets through the keychain.

The file lives in the platform's config directory (platformdirs, app "Pennant") and is written
atomically (temporary file, fsync, ``os.replace``), so a crash never leaves half a file. A file
that cannot be read is moved aside to ``settings.json.bad`` (a file with some unusable values is
copied there) and the problem is reported through ``load_error``: a user's settings are never
silently lost.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.webull.oauth import ConnectCredentials

from .keychain import Keychain, KeychainError, credential_name
from .precautions import Limits, limits_from_json, limits_to_json

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.json"
FORMAT_VERSION = 1
THEMES = ("light", "dark", "system")
LOGIN_ROUTES = ("embedded", "browser")


@dataclass(frozen=True)
class ConnectProfile:
    """The non-secret half of ConnectCredentials for one environment."""

    environment: str
    client_id: str
    app_key: str
    redirect_uri: str
    scope: str
    loopback_redirect_uri: str = ""  # "" = the system-browser route is not registered


@dataclass
class Settings:
    environment: str = "demo"
    profiles: dict[str, ConnectProfile] = field(default_factory=dict)
    theme: str = "system"  # "light" | "dark" | "system"
    tray_notifications: bool = False
    login_route: str = "embedded"  # "embedded" | "browser"
    #: the order ticket's precautionary checks (on by default; app.core.precautions)
    precautions: Limits = field(default_factory=Limits)


# ---------------------------------------------------------------------------- the file


class SettingsStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.load_error: str | None = None

    @property
    def bad_path(self) -> Path:
        return self.path.with_name(self.path.name + ".bad")

    def load(self) -> Settings:
        """The saved settings; defaults (and ``load_error`` saying why) if they are unusable."""
        self.load_error = None
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Settings()
        except OSError as exc:
            self.load_error = (f"The settings file {self.path} could not be read "
                               f"({exc.strerror or type(exc).__name__}); defaults are in use.")
            log.warning("%s", self.load_error)
            return Settings()
        try:
            data = json.loads(text)
        except ValueError as exc:
            return self._reject(f"it is not valid JSON (line {getattr(exc, 'lineno', '?')})")
        if not isinstance(data, dict):
            return self._reject("it does not hold a settings object")
        version = data.get("version")
        if version != FORMAT_VERSION:
            return self._reject(f"its format version {version!r} is not one this version of "
                                f"Pennant reads ({FORMAT_VERSION})")
        settings, problems = _decode(data)
        if problems:
            self._keep_copy()
            self.load_error = (
                f"Some settings in {self.path} were unusable and were reset: "
                f"{'; '.join(problems)}. A copy of the file was kept as {self.bad_path.name}."
            )
            log.warning("%s", self.load_error)
        return settings

    def save(self, settings: Settings) -> None:
        """Write atomically: readers see the old file or the new one, never a mix."""
        _check(settings)
        data: dict[str, Any] = {"version": FORMAT_VERSION, **asdict(settings)}
        data["precautions"] = limits_to_json(settings.precautions)
        text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp",
                                    dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def _reject(self, why: str) -> Settings:
        try:
            os.replace(self.path, self.bad_path)
            kept = f"The file was kept as {self.bad_path}."
        except OSError as exc:
            kept = f"It could not be moved aside ({exc.strerror or type(exc).__name__})."
        self.load_error = (f"The settings file {self.path} could not be used because {why}; "
                           f"defaults are in use. {kept}")
        log.warning("%s", self.load_error)
        return Settings()

    def _keep_copy(self) -> None:
        try:
            shutil.copyfile(self.path, self.bad_path)
        except OSError:
            log.warning("could not copy %s aside", self.path)


def _check(settings: Settings) -> None:
    if settings.theme not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}, not {settings.theme!r}")
    if settings.login_route not in LOGIN_ROUTES:
        raise ValueError(f"login_route must be one of {', '.join(LOGIN_ROUTES)}, "
                         f"not {settings.login_route!r}")
    for name, profile in settings.profiles.items():
        if name != profile.environment:
            raise ValueError(f"profile {name!r} belongs to environment {profile.environment!r}")


def _decode(data: Mapping[str, Any]) -> tuple[Settings, list[str]]:
    """Settings from the file's object: each unusable value falls back to its default."""
    settings = Settings()
    problems: list[str] = []
    choices = {"theme": THEMES, "login_route": LOGIN_ROUTES}
    for name, allowed in choices.items():
        if name in data:
            if data[name] in allowed:
                setattr(settings, name, data[name])
            else:
                problems.append(f"{name} {data[name]!r} is not one of {', '.join(allowed)}")
    if "tray_notifications" in data:
        if isinstance(data["tray_notifications"], bool):
            settings.tray_notifications = data["tray_notifications"]
        else:
            problems.append("tray_notifications is not true or false")
    if "environment" in data:
        if isinstance(data["environment"], str) and _ENV_NAME.fullmatch(data["environment"]):
            settings.environment = data["environment"]
        else:
            problems.append("environment is not an environment name")
    if "precautions" in data:
        settings.precautions, limit_problems = limits_from_json(data["precautions"])
        problems.extend(limit_problems)
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        problems.append("profiles is not an object")
        profiles = {}
    for name, raw in profiles.items():
        profile = _decode_profile(name, raw)
        if profile is None:
            problems.append(f"the app credentials for {name!r} are incomplete or invalid")
        else:
            settings.profiles[name] = profile
    unknown = set(data) - {f.name for f in dataclass_fields(Settings)} - {"version"}
    if unknown:
        log.info("ignoring unknown settings: %s", ", ".join(sorted(unknown)))
    return settings, problems


def _decode_profile(name: str, raw: Any) -> ConnectProfile | None:
    names = [f.name for f in dataclass_fields(ConnectProfile)]
    if not isinstance(raw, dict) or set(raw) - set(names):
        return None
    if not all(isinstance(raw.get(n, ""), str) for n in names):
        return None
    values = {n: raw.get(n, "") for n in names}
    if values["environment"] != name:
        return None
    checked = dict(values)
    checked.update(client_secret="x", app_secret="x")  # secrets are not in the file
    if profile_errors(checked):
        return None
    return ConnectProfile(**values)


# ---------------------------------------------------------------------------- validation

_ENV_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_LABELS = {
    "environment": "Environment",
    "client_id": "Client ID",
    "client_secret": "Client secret",
    "app_key": "App key",
    "app_secret": "App secret",
    "redirect_uri": "Redirect URI",
    "scope": "Scope",
    "loopback_redirect_uri": "Loopback redirect URI",
}
_REQUIRED = ("environment", "client_id", "client_secret", "app_key", "app_secret",
             "redirect_uri", "scope")
_LOOPBACK_HOSTS = ("127.0.0.1", "::1")


def _hidden_character(value: str) -> str | None:
    """Describe the first control or invisible (format) character in ``value``."""
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            name = unicodedata.name(char, "control character")
            return f"U+{ord(char):04X} {name}"
    return None


def profile_errors(fields: Mapping[str, str]) -> dict[str, str]:
    """Field name → message for every unusable value of the app-credentials form.

    Values are stripped of surrounding whitespace first (callers strip them the same way).
    """
    errors: dict[str, str] = {}
    for name, label in _LABELS.items():
        value = (fields.get(name) or "").strip()
        if not value:
            if name in _REQUIRED:
                errors[name] = f"{label} is required."
            continue
        hidden = _hidden_character(value)
        if hidden:
            errors[name] = (f"{label} contains an invisible character ({hidden}), probably "
                            "copied along with it. Type or paste the value again.")
            continue
        problem = _check_value(name, value)
        if problem:
            errors[name] = f"{label} {problem}"
    return errors


def _check_value(name: str, value: str) -> str | None:
    if name == "environment":
        if not _ENV_NAME.fullmatch(value):
            return "must be a short lower-case name such as demo, sandbox or production."
    elif name == "scope":
        if not all(part.isprintable() for part in value.split()):
            return "contains characters that are not allowed."
    elif name in ("redirect_uri", "loopback_redirect_uri"):
        return _uri_problem(value, loopback_only=name == "loopback_redirect_uri")
    elif any(char.isspace() for char in value):
        return "must not contain spaces."
    return None


def _uri_problem(value: str, *, loopback_only: bool) -> str | None:
    try:
        url = urlsplit(value)
        port = url.port
    except ValueError:
        return "is not a valid URL."
    host = url.hostname or ""
    if any(char.isspace() for char in value):
        return "must not contain spaces."
    if url.fragment or value.endswith("#"):
        return "must not contain a # fragment."
    if url.username is not None or url.password is not None:
        return "must not contain a user name or password."
    if loopback_only:
        if url.scheme != "http" or host not in _LOOPBACK_HOSTS:
            return "must start with http://127.0.0.1/ (the app's own computer)."
        if port is not None:
            return ("must not name a port: Pennant picks a free port for each sign-in "
                    "(RFC 8252).")
        if url.query:
            return "must not contain a query (?…)."
        return None
    if not url.scheme or not host:
        return "must be a full address such as https://example.com/callback."
    if url.scheme == "https":
        return None
    if url.scheme == "http":
        if host in _LOOPBACK_HOSTS:
            return None
        return "must use https (plain http is allowed only for http://127.0.0.1)."
    return "must start with https://."


# ---------------------------------------------------------------------------- credentials


def save_credentials(keychain: Keychain, creds: ConnectCredentials, environment: str, *,
                     loopback_redirect_uri: str = "") -> ConnectProfile:
    """Store the two secrets in the keychain; return the half that goes in the settings file.

    Raises KeychainError (KeychainUnavailableError without a secure keychain)."""
    keychain.set(credential_name(environment, creds.client_id, "client_secret"),
                 creds.client_secret)
    keychain.set(credential_name(environment, creds.client_id, "app_secret"), creds.app_secret)
    return ConnectProfile(environment=environment, client_id=creds.client_id,
                          app_key=creds.app_key, redirect_uri=creds.redirect_uri,
                          scope=creds.scope, loopback_redirect_uri=loopback_redirect_uri)


def load_credentials(keychain: Keychain, profile: ConnectProfile) -> ConnectCredentials:
    """The full credentials of a profile. KeychainError if a secret is not in the keychain."""
    secrets: dict[str, str] = {}
    for what, label in (("client_secret", "client secret"), ("app_secret", "app secret")):
        value = keychain.get(credential_name(profile.environment, profile.client_id, what))
        if not value:
            raise KeychainError(
                f"The {label} for the {profile.environment} app ({profile.client_id}) is not "
                "in the system keychain. Enter the app credentials again in Settings."
            )
        secrets[what] = value
    return ConnectCredentials(
        client_id=profile.client_id, client_secret=secrets["client_secret"],
        app_key=profile.app_key, app_secret=secrets["app_secret"], scope=profile.scope,
        redirect_uri=profile.redirect_uri,
    )
