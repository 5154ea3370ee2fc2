"""The bundle keeps what Pennant runs on and drops the rest, on the wheel layouts of every OS."""

from __future__ import annotations

import pytest
from bundle_rules import is_root, prune, unused  # type: ignore[import-not-found]

LINUX_QT = "PySide6/Qt/"


@pytest.mark.parametrize("dest", [
    "PySide6/Qt/plugins/platforms/libqxcb.so",
    "PySide6/Qt/plugins/platforms/libqwayland.so",
    "PySide6/Qt/plugins/platforms/libqoffscreen.so",
    "PySide6/Qt/plugins/wayland-shell-integration/libxdg-shell.so",
    "PySide6/Qt/plugins/wayland-graphics-integration-client/libqt-plugin-wayland-egl.so",
    "PySide6/Qt/plugins/wayland-decoration-client/libbradient.so",
    "PySide6/Qt/plugins/imageformats/libqsvg.so",
    "PySide6/Qt/plugins/imageformats/libqico.so",
    "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
    "PySide6/Qt/plugins/tls/libqopensslbackend.so",
    "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
    "PySide6/Qt/translations/qtwebengine_locales/en-US.pak",
    "PySide6/Qt/resources/qtwebengine_resources.pak",
    "PySide6/Qt/resources/icudtl.dat",
    "PySide6/Qt/libexec/QtWebEngineProcess",
    "PySide6/Qt/lib/libQt6Quick.so.6",
    "PySide6/plugins/platforms/qwindows.dll",
    "PySide6/plugins/styles/qmodernwindowsstyle.dll",
    "PySide6/translations/qtwebengine_locales/en-US.pak",
    "PySide6/Qt/lib/QtWebEngineCore.framework/Resources/qtwebengine_locales/en-US.pak",
    "resources/themes/base.qss",
    "app/webull/environments.toml",
])
def test_what_the_app_runs_on_is_kept(dest: str) -> None:
    assert not unused((dest, "/src", "DATA"))


@pytest.mark.parametrize("dest", [
    "PySide6/Qt/qml/QtQuick/Controls/libqtquickcontrols2plugin.so",
    "PySide6/qml/QtQuick/Controls/qtquickcontrols2plugin.dll",
    "PySide6/Qt/translations/qtbase_de.qm",
    "PySide6/translations/qt_fr.qm",
    "PySide6/Qt/translations/qtwebengine_locales/de.pak",
    "PySide6/Qt/lib/QtWebEngineCore.framework/Resources/qtwebengine_locales/ja.pak",
    "PySide6/Qt/resources/qtwebengine_devtools_resources.pak",
    "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
    "PySide6/plugins/platforminputcontexts/qtvirtualkeyboardplugin.dll",
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    "PySide6/Qt/plugins/printsupport/libcupsprintersupport.so",
    "PySide6/Qt/plugins/imageformats/libqpdf.so",
    "PySide6/Qt/plugins/sqldrivers/libqsqlite.so",
    "PySide6/Qt/plugins/platforms/libqeglfs.so",
    "libstdc++.so.6",
    "libgcc_s.so.1",
    "libgbm.so.1",
    "PySide6/Qt/plugins/wayland-shell-integration/libivi-shell.so",
    "PySide6/Qt/plugins/platforms/libqminimal.so",
    "libfontconfig.so.1",
])
def test_what_the_app_never_uses_is_dropped(dest: str) -> None:
    assert unused((dest, "/src", "BINARY"))


def test_roots_are_modules_plugins_and_programs_not_libraries() -> None:
    assert is_root("PySide6/QtCore.abi3.so")
    assert is_root("numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so")
    assert is_root("PySide6/Qt/plugins/platforms/libqxcb.so")
    assert is_root("PySide6/Qt/libexec/QtWebEngineProcess")
    assert is_root("libpython3.11.so.1.0")
    assert not is_root("PySide6/Qt/lib/libQt6Core.so.6")
    assert not is_root("libnss3.so")
    assert not is_root("PySide6/Qt6Core.dll")
    assert not is_root("PySide6/Qt/lib/QtCore.framework/Versions/A/QtCore")


def _bin(dest: str) -> tuple[str, str, str]:
    return (dest, f"/src/{dest}", "BINARY")


def test_prune_drops_what_only_dropped_plugins_linked() -> None:
    links = {
        # kept: the web engine module links WebEngineCore, which links Quick
        "PySide6/QtWebEngineCore.abi3.so": ["libQt6WebEngineCore.so.6"],
        f"{LINUX_QT}lib/libQt6WebEngineCore.so.6": ["libQt6Quick.so.6", "libnss3.so"],
        # dropped: the virtual keyboard links its library and Quick; the GTK theme links GTK
        f"{LINUX_QT}plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so":
            ["libQt6VirtualKeyboard.so.6", "libQt6Quick.so.6"],
        f"{LINUX_QT}plugins/platformthemes/libqgtk3.so": ["libgtk-3.so.0"],
        "libgtk-3.so.0": ["libgdk-3.so.0"],
    }
    binaries = [_bin(d) for d in [
        *links,
        f"{LINUX_QT}lib/libQt6Quick.so.6", f"{LINUX_QT}lib/libQt6VirtualKeyboard.so.6",
        f"{LINUX_QT}lib/libQt6Bluetooth.so.6",  # a Qt library nothing links
        "libnss3.so", "libgdk-3.so.0",
        "libloaded_by_ctypes.so",  # nothing links it: collected for a ctypes load
    ]] + [
        ("libQt6Quick.so.6", f"{LINUX_QT}lib/libQt6Quick.so.6", "SYMLINK"),
        ("libQt6VirtualKeyboard.so.6", f"{LINUX_QT}lib/libQt6VirtualKeyboard.so.6", "SYMLINK"),
    ]
    datas = [("PySide6/Qt/translations/qtbase_de.qm", "/src/qm", "DATA"),
             ("resources/icons/pennant.svg", "/src/svg", "DATA")]

    kept, kept_data = prune(binaries, datas, lambda src: links.get(src[len("/src/"):], []))

    names = {dest for dest, _, _ in kept}
    assert names == {
        "PySide6/QtWebEngineCore.abi3.so", f"{LINUX_QT}lib/libQt6WebEngineCore.so.6",
        f"{LINUX_QT}lib/libQt6Quick.so.6", "libnss3.so", "libloaded_by_ctypes.so",
        "libQt6Quick.so.6",  # the link to a kept library stays
    }
    assert [dest for dest, _, _ in kept_data] == ["resources/icons/pennant.svg"]


def test_names_match_whatever_their_case() -> None:
    """A Windows import table may name Qt6Core.dll as QT6CORE.dll: still the same library."""
    links = {"PySide6/QtCore.pyd": ["QT6CORE.dll"]}
    binaries = [_bin("PySide6/QtCore.pyd"), _bin("PySide6/Qt6Core.dll")]
    kept, _ = prune(binaries, [], lambda src: links.get(src[len("/src/"):], []))
    assert {dest for dest, _, _ in kept} == {"PySide6/QtCore.pyd", "PySide6/Qt6Core.dll"}
