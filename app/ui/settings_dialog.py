"""Settings: which environment, its app credentials, the sign-in route, theme and tray (the
Connection tab), and the order precautions (the Trading tab).

Secrets go to the OS keychain only; when no secure keychain exists the dialog says so and
refuses to save a real environment's credentials (never a plaintext fallback). Production is
marked with an unmistakable banner. The caller persists ``result_settings()`` (SettingsStore).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace

from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.keychain import Keychain, KeychainError, credential_name
from app.core.settings import ConnectProfile, Settings, profile_errors, save_credentials
from app.webull.environments import Environment
from app.webull.oauth import ConnectCredentials

from .login_panels import ERROR_RED
from .precautions_form import PrecautionsForm

log = logging.getLogger(__name__)

DEMO = "demo"
#: the form's fields in order: name, label, secret?, hint
FIELDS = (
    ("client_id", "Client ID", False, "as issued by Webull for your app"),
    ("client_secret", "Client secret", True, ""),
    ("app_key", "App key", False, ""),
    ("app_secret", "App secret", True, ""),
    ("redirect_uri", "Redirect URI", False, "https://… exactly as registered with Webull"),
    ("scope", "Scope", False, "e.g. user:trade:wr"),
    ("loopback_redirect_uri", "Loopback redirect URI", False,
     "optional: http://127.0.0.1/… for signing in with your browser"),
)
SECRETS = ("client_secret", "app_secret")
KEEP_PLACEHOLDER = "stored in keychain — leave blank to keep"
THEMES = (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark"))


class WrapLabel(QLabel):
    """A word-wrapped label that claims the height its text needs at its current width (a
    form layout inside a dialog otherwise gives it one line's height and cuts the rest)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        needed = self.heightForWidth(self.width())
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)


class _Field(QWidget):
    """One input with its error line underneath (and a Show toggle for secrets)."""

    def __init__(self, secret: bool, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(hint)
        self.edit.setMinimumWidth(340)
        self.error = WrapLabel("", self)
        self.error.setStyleSheet(f"color: {ERROR_RED};")
        self.error.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        self.toggle: QToolButton | None = None
        if secret:
            self.edit.setEchoMode(QLineEdit.EchoMode.Password)
            self.toggle = QToolButton(self)
            self.toggle.setText("Show")
            self.toggle.setCheckable(True)
            self.toggle.setToolTip("Show or hide the secret while typing")
            self.toggle.toggled.connect(self._reveal)
            row.addWidget(self.toggle)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.error)

    def _reveal(self, on: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password
        self.edit.setEchoMode(mode)
        assert self.toggle is not None
        self.toggle.setText("Hide" if on else "Show")

    def set_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))


class SettingsDialog(QDialog):
    """Edit the settings; Save validates, writes secrets to the keychain and accepts with
    ``result_settings()`` (the caller saves the file), anything wrong keeps the dialog open."""

    def __init__(self, settings: Settings, keychain: Keychain,
                 environments: Mapping[str, Environment],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._settings = settings
        self._keychain = keychain
        self._environments = dict(environments)
        self._result: Settings | None = None
        self._drafts: dict[str, dict[str, str]] = {}
        self._current = ""
        self._status = keychain.status()

        self.environment_combo = QComboBox(self)
        self.environment_combo.addItem("Demo (local simulator)", DEMO)
        for name, env in self._environments.items():
            self.environment_combo.addItem(env.label, name)
        self.production_banner = WrapLabel(
            "PRODUCTION — real money. Orders placed in this environment are real and are "
            "executed with your money.", self)
        self.production_banner.setStyleSheet(
            f"background: {ERROR_RED}; color: white; font-weight: bold; padding: 8px 10px; "
            "border-radius: 4px;")
        self.demo_note = WrapLabel(
            "Demo runs Pennant against a Webull simulator on this computer: no Webull "
            "account and no app credentials are needed, and no real money is involved.", self)

        self.credentials_box = QGroupBox("App credentials", self)
        form = QFormLayout(self.credentials_box)
        self.fields: dict[str, _Field] = {}
        for name, label, secret, hint in FIELDS:
            field = _Field(secret, hint, self.credentials_box)
            if name == "loopback_redirect_uri":
                field.edit.textChanged.connect(self._update_route_choice)
            self.fields[name] = field
            form.addRow(label, field)
        self.keychain_label = WrapLabel("", self.credentials_box)
        form.addRow(self.keychain_label)
        if self._status.usable:
            self.keychain_label.setText(f"Secrets are stored in {self._status.backend}, never "
                                        "in the settings file.")
        else:
            self.keychain_label.setText(self._status.problem)
            self.keychain_label.setStyleSheet(f"color: {ERROR_RED}; font-weight: bold;")

        route_box = QGroupBox("Sign-in", self)
        self.route_embedded = QRadioButton("Inside Pennant (embedded Webull sign-in page)")
        self.route_browser = QRadioButton("With my web browser (needs a loopback redirect URI)")
        self._routes = QButtonGroup(self)
        for button in (self.route_embedded, self.route_browser):
            self._routes.addButton(button)
        route_layout = QVBoxLayout(route_box)
        route_layout.addWidget(self.route_embedded)
        route_layout.addWidget(self.route_browser)

        look_box = QGroupBox("Appearance and notifications", self)
        self.theme_combo = QComboBox(self)
        for value, text in THEMES:
            self.theme_combo.addItem(text, value)
        self.tray_check = QCheckBox("Show order fills and warnings as desktop notifications")
        look = QFormLayout(look_box)
        look.addRow("Theme", self.theme_combo)
        look.addRow(self.tray_check)

        self.form_error = WrapLabel("", self)
        self.form_error.setStyleSheet(f"color: {ERROR_RED}; font-weight: bold;")
        self.form_error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)

        self.precautions = PrecautionsForm(settings.precautions, parent=self)
        connection = QWidget(self)
        top = QFormLayout()
        top.addRow("Environment", self.environment_combo)
        page = QVBoxLayout(connection)
        page.addLayout(top)
        page.addWidget(self.production_banner)
        page.addWidget(self.demo_note)
        page.addWidget(self.credentials_box)
        page.addWidget(route_box)
        page.addWidget(look_box)
        page.addStretch(1)
        trading = QWidget(self)
        trading_page = QVBoxLayout(trading)
        trading_page.addWidget(self.precautions)
        trading_page.addStretch(1)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(connection, "Connection")
        self.tabs.addTab(trading, "Trading")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.form_error)
        layout.addWidget(self.buttons)

        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(settings.theme)))
        self.tray_check.setChecked(settings.tray_notifications)
        (self.route_browser if settings.login_route == "browser"
         else self.route_embedded).setChecked(True)
        index = self.environment_combo.findData(settings.environment)
        self.environment_combo.currentIndexChanged.connect(self._environment_changed)
        self.environment_combo.setCurrentIndex(max(0, index))
        self._environment_changed()

    # ---------------------------------------------------------------- for callers and tests
    def result_settings(self) -> Settings | None:
        """The saved settings after Save (None if cancelled); the caller writes them to disk."""
        return self._result

    def selected_environment(self) -> str:
        return str(self.environment_combo.currentData())

    def field_error(self, name: str) -> str:
        return self.fields[name].error.text() if not self.fields[name].error.isHidden() else ""

    def form_error_text(self) -> str:
        return self.form_error.text() if not self.form_error.isHidden() else ""

    # ---------------------------------------------------------------- reacting to input
    def _environment_changed(self) -> None:
        if self._current and self._current != DEMO:
            self._drafts[self._current] = self._values()
        name = self.selected_environment()
        self._current = name
        env = self._environments.get(name)
        real = env is not None
        self.demo_note.setVisible(not real)
        self.credentials_box.setVisible(real)
        self.production_banner.setVisible(bool(env and env.is_production))
        self.form_error.hide()
        if env is not None:
            self.credentials_box.setTitle(f"App credentials for {env.label}")
            self._fill(name)
        self._update_route_choice()
        self.save_button.setEnabled(not real or self._status.usable)
        self.save_button.setToolTip("" if self.save_button.isEnabled() else
                                    "No secure keychain: the credentials cannot be saved.")

    def _fill(self, name: str) -> None:
        profile = self._settings.profiles.get(name)
        draft = self._drafts.get(name)
        for field_name, field in self.fields.items():
            if draft is not None:
                value = draft.get(field_name, "")
            elif profile is not None and field_name not in SECRETS:
                value = getattr(profile, field_name)
            else:
                value = ""
            field.edit.setText(value)
            field.set_error("")
            if field_name in SECRETS:
                field.edit.setPlaceholderText(KEEP_PLACEHOLDER if profile else "")

    def _update_route_choice(self) -> None:
        real = self.selected_environment() in self._environments
        loopback = self.fields["loopback_redirect_uri"].edit.text().strip()
        allowed = (not real) or bool(loopback)  # the Demo simulator registers one
        self.route_browser.setEnabled(allowed)
        if not allowed and self.route_browser.isChecked():
            self.route_embedded.setChecked(True)

    def _values(self) -> dict[str, str]:
        return {name: field.edit.text().strip() for name, field in self.fields.items()}

    # ---------------------------------------------------------------- saving
    def _save(self) -> None:
        self.form_error.hide()
        limits = self.precautions.limits(self._settings.precautions)
        if limits is None:
            self.tabs.setCurrentIndex(1)
            self._show_form_error("Please correct the highlighted precautions.")
            return
        name = self.selected_environment()
        profiles = dict(self._settings.profiles)
        if name in self._environments:
            profile = self._save_profile(name)
            if profile is None:
                return
            profiles[name] = profile
        self._result = replace(
            self._settings, environment=name, profiles=profiles,
            theme=str(self.theme_combo.currentData()),
            tray_notifications=self.tray_check.isChecked(),
            login_route="browser" if self.route_browser.isChecked() else "embedded",
            precautions=limits,
        )
        self.accept()

    def _save_profile(self, name: str) -> ConnectProfile | None:
        """Validate the form and write the secrets; None (with errors shown) if that failed."""
        if not self._status.usable:
            self._show_form_error(self._status.problem)
            return None
        values = self._values()
        old = self._settings.profiles.get(name)
        keep = [s for s in SECRETS if not values[s] and old is not None
                and old.client_id == values["client_id"]]
        checked = dict(values, environment=name)
        checked.update({s: "kept" for s in keep})
        errors = profile_errors(checked)
        for field_name, field in self.fields.items():
            field.set_error(errors.get(field_name, ""))
        if errors:
            self._show_form_error("Please correct the highlighted fields.")
            return None
        try:
            for secret in keep:
                stored = self._keychain.get(credential_name(name, values["client_id"], secret))
                if not stored:
                    self.fields[secret].set_error("Not found in the keychain: enter it again.")
                    self._show_form_error("Please correct the highlighted fields.")
                    return None
                values[secret] = stored
            creds = ConnectCredentials(
                client_id=values["client_id"], client_secret=values["client_secret"],
                app_key=values["app_key"], app_secret=values["app_secret"],
                scope=values["scope"], redirect_uri=values["redirect_uri"])
            return save_credentials(self._keychain, creds, name,
                                    loopback_redirect_uri=values["loopback_redirect_uri"])
        except ValueError as exc:
            self._show_form_error(f"The credentials are not usable: {exc}.")
        except KeychainError as exc:
            log.warning("saving app credentials failed: %s", type(exc).__name__)
            self._show_form_error(f"{exc} The settings were not changed.")
        return None

    def _show_form_error(self, text: str) -> None:
        self.form_error.setText(text)
        self.form_error.show()
