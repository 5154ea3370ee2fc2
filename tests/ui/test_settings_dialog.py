"""The settings dialog: per-field errors, keychain status, secrets to the keychain, production."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from app.core.keychain import Keychain, credential_name
from app.core.settings import ConnectProfile, Settings
from app.ui.settings_dialog import KEEP_PLACEHOLDER, SettingsDialog
from app.webull.environments import builtin_environments
from tests import fakes


class MemoryKeyring(fakes.MemoryKeyring):
    """The shared in-memory keyring, able to refuse writes like a daemon that went away."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse_writes = False

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.refuse_writes:
            raise RuntimeError("the keychain daemon is gone")
        super().set_password(service, username, password)


GOOD = {
    "client_id": "client-123",
    "client_secret": "cs-secret-value",
    "app_key": "appkey-456",
    "app_secret": "as-secret-value",
    "redirect_uri": "https://pennant.example/oauth/callback",
    "scope": "user:trade:wr",
    "loopback_redirect_uri": "http://127.0.0.1/oauth/callback",
}

#: the offscreen platform cannot pass a window's minimum size on (panels showing and hiding
#: change it); harmless, and only offscreen says so
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def backend() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def keychain(backend: MemoryKeyring) -> Iterator[Keychain]:
    chain = Keychain(service="PennantTest", backend=backend)
    yield chain
    chain.close()


def make(qtbot, settings: Settings, keychain: Keychain) -> SettingsDialog:
    dialog = SettingsDialog(settings, keychain, builtin_environments())
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def choose(dialog: SettingsDialog, name: str) -> None:
    dialog.environment_combo.setCurrentIndex(dialog.environment_combo.findData(name))


def fill(dialog: SettingsDialog, values: dict[str, str]) -> None:
    for name, value in values.items():
        dialog.fields[name].edit.setText(value)


def save(qtbot, dialog: SettingsDialog) -> None:
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)


def test_demo_needs_no_credentials_and_saves_the_other_choices(qtbot, keychain) -> None:
    dialog = make(qtbot, Settings(), keychain)
    assert dialog.selected_environment() == "demo"
    assert dialog.demo_note.isVisible() and "simulator" in dialog.demo_note.text()
    assert not dialog.credentials_box.isVisible()
    assert not dialog.production_banner.isVisible()
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    dialog.tray_check.setChecked(True)
    dialog.route_browser.setChecked(True)
    save(qtbot, dialog)
    result = dialog.result_settings()
    assert result is not None and dialog.result() == dialog.DialogCode.Accepted
    assert (result.environment, result.theme, result.tray_notifications, result.login_route) \
        == ("demo", "dark", True, "browser")
    assert result.profiles == {}


def test_field_errors_are_shown_next_to_each_field(qtbot, keychain, backend) -> None:
    dialog = make(qtbot, Settings(), keychain)
    choose(dialog, "sandbox")
    assert dialog.credentials_box.isVisible()
    fill(dialog, {**GOOD, "client_id": "", "redirect_uri": "http://example.com/cb",
                  "loopback_redirect_uri": "http://127.0.0.1:8080/cb"})
    save(qtbot, dialog)
    assert dialog.result_settings() is None and dialog.isVisible()
    assert "required" in dialog.field_error("client_id")
    assert "https" in dialog.field_error("redirect_uri")
    assert "port" in dialog.field_error("loopback_redirect_uri")
    assert dialog.field_error("scope") == ""
    assert dialog.fields["client_id"].error.isVisible()
    assert "correct" in dialog.form_error_text()
    assert backend.entries == {}  # nothing written


def test_unusable_keychain_is_reported_and_blocks_saving_credentials(qtbot) -> None:
    keychain = Keychain(service="PennantTest", backend=fail.Keyring())
    try:
        dialog = make(qtbot, Settings(), keychain)
        assert dialog.save_button.isEnabled()  # Demo stores no secrets
        choose(dialog, "sandbox")
        assert "no system keychain" in dialog.keychain_label.text()
        assert dialog.keychain_label.isVisible()
        assert not dialog.save_button.isEnabled()
        choose(dialog, "demo")
        assert dialog.save_button.isEnabled()
    finally:
        keychain.close()


def test_save_writes_secrets_to_the_keychain_and_returns_the_profile(qtbot, keychain,
                                                                     backend) -> None:
    dialog = make(qtbot, Settings(), keychain)
    choose(dialog, "sandbox")
    assert "MemoryKeyring" in dialog.keychain_label.text() or "Secrets are stored" in \
        dialog.keychain_label.text()
    assert not dialog.route_browser.isEnabled()  # no loopback redirect yet
    fill(dialog, GOOD)
    assert dialog.route_browser.isEnabled()
    dialog.route_browser.setChecked(True)
    save(qtbot, dialog)
    result = dialog.result_settings()
    assert result is not None
    assert result.environment == "sandbox" and result.login_route == "browser"
    assert result.profiles["sandbox"] == ConnectProfile(
        environment="sandbox", client_id="client-123", app_key="appkey-456",
        redirect_uri=GOOD["redirect_uri"], scope="user:trade:wr",
        loopback_redirect_uri=GOOD["loopback_redirect_uri"])
    assert keychain.get(credential_name("sandbox", "client-123", "client_secret")) \
        == "cs-secret-value"
    assert keychain.get(credential_name("sandbox", "client-123", "app_secret")) \
        == "as-secret-value"
    assert "secret" not in repr(result)


def test_existing_profile_is_prefilled_and_blank_secrets_are_kept(qtbot, keychain,
                                                                  backend) -> None:
    profile = ConnectProfile("uat", "client-9", "key-9", "https://cb.example/cb", "user")
    keychain.set(credential_name("uat", "client-9", "client_secret"), "old-cs")
    keychain.set(credential_name("uat", "client-9", "app_secret"), "old-as")
    settings = Settings(environment="uat", profiles={"uat": profile})
    dialog = make(qtbot, settings, keychain)
    assert dialog.selected_environment() == "uat"
    assert dialog.fields["client_id"].edit.text() == "client-9"
    assert dialog.fields["client_secret"].edit.text() == ""
    assert dialog.fields["client_secret"].edit.placeholderText() == KEEP_PLACEHOLDER
    dialog.fields["scope"].edit.setText("user:trade")
    dialog.fields["app_secret"].edit.setText("new-as")
    save(qtbot, dialog)
    result = dialog.result_settings()
    assert result is not None and result.profiles["uat"].scope == "user:trade"
    assert keychain.get(credential_name("uat", "client-9", "client_secret")) == "old-cs"
    assert keychain.get(credential_name("uat", "client-9", "app_secret")) == "new-as"


def test_a_new_client_id_needs_its_secrets(qtbot, keychain) -> None:
    profile = ConnectProfile("uat", "client-9", "key-9", "https://cb.example/cb", "user")
    dialog = make(qtbot, Settings(environment="uat", profiles={"uat": profile}), keychain)
    dialog.fields["client_id"].edit.setText("client-10")
    save(qtbot, dialog)
    assert dialog.result_settings() is None
    assert "required" in dialog.field_error("client_secret")
    assert "required" in dialog.field_error("app_secret")


def test_kept_secret_missing_from_the_keychain_is_asked_for_again(qtbot, keychain) -> None:
    profile = ConnectProfile("uat", "client-9", "key-9", "https://cb.example/cb", "user")
    dialog = make(qtbot, Settings(environment="uat", profiles={"uat": profile}), keychain)
    save(qtbot, dialog)
    assert dialog.result_settings() is None
    assert "keychain" in dialog.field_error("client_secret")


def test_keychain_failure_on_save_is_reported_and_nothing_is_returned(qtbot, keychain,
                                                                     backend) -> None:
    backend.refuse_writes = True
    dialog = make(qtbot, Settings(), keychain)
    choose(dialog, "sandbox")
    fill(dialog, GOOD)
    save(qtbot, dialog)
    assert dialog.result_settings() is None and dialog.isVisible()
    assert "keychain refused" in dialog.form_error_text()
    assert "not changed" in dialog.form_error_text()


def test_production_shows_an_unmistakable_banner(qtbot, keychain) -> None:
    dialog = make(qtbot, Settings(), keychain)
    choose(dialog, "sandbox")
    assert not dialog.production_banner.isVisible()
    choose(dialog, "production")
    assert dialog.production_banner.isVisible()
    assert "PRODUCTION" in dialog.production_banner.text()
    assert "real money" in dialog.production_banner.text()


def test_drafts_survive_switching_environments_and_secrets_can_be_shown(qtbot,
                                                                        keychain) -> None:
    dialog = make(qtbot, Settings(), keychain)
    choose(dialog, "sandbox")
    fill(dialog, {"client_id": "typed-id", "client_secret": "typed-secret"})
    choose(dialog, "production")
    assert dialog.fields["client_id"].edit.text() == ""
    choose(dialog, "sandbox")
    assert dialog.fields["client_id"].edit.text() == "typed-id"
    secret = dialog.fields["client_secret"]
    assert secret.edit.echoMode() == QLineEdit.EchoMode.Password
    assert secret.toggle is not None
    secret.toggle.click()
    assert secret.edit.echoMode() == QLineEdit.EchoMode.Normal
    secret.toggle.click()
    assert secret.edit.echoMode() == QLineEdit.EchoMode.Password


def test_precautions_are_edited_exactly_and_saved(qtbot, keychain) -> None:
    from decimal import Decimal

    from app.core.precautions import Limits, Severity

    dialog = make(qtbot, Settings(), keychain)
    form = dialog.precautions
    assert form.order_value.edit.text() == "100000"  # the defaults are on
    form.order_value.edit.setText("25,000.50")
    form.quantity.edit.setText("")  # blank turns a limit off
    form.deviation_ticks.setText("40")
    form.wrong_side.severity.setCurrentIndex(form.wrong_side.severity.findData("advise"))
    save(qtbot, dialog)
    result = dialog.result_settings()
    assert result is not None
    assert result.precautions == Limits(max_order_value=Decimal("25000.50"), max_quantity=None,
                                        max_deviation_ticks=40,
                                        wrong_side_stop_severity=Severity.ADVISE)


def test_unusable_precautions_keep_the_dialog_open_and_say_why(qtbot, keychain) -> None:
    dialog = make(qtbot, Settings(), keychain)
    form = dialog.precautions
    form.order_value.edit.setText("-5")
    form.deviation_pct.edit.setText("1e3")
    form.deviation_ticks.setText("2.5")
    save(qtbot, dialog)
    assert dialog.result_settings() is None
    assert dialog.tabs.currentIndex() == 1
    assert "negative" in form.order_value.error.text()
    assert "plain number" in form.deviation_pct.error.text()
    assert "whole number" in form.ticks_error.text()
    assert "precautions" in dialog.form_error_text()
