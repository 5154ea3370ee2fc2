"""What goes into Pennant's PyInstaller bundle beyond PyInstaller's own choice: the rules the
spec applies to the collected files, kept here (not in the spec) so that tests can check them.

Entries are PyInstaller TOC tuples ``(dest, src, typecode)``; ``dest`` uses the wheel's layout on
every OS (``PySide6/Qt/plugins/...`` on Linux and macOS, ``PySide6/plugins/...`` on Windows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fnmatch import fnmatch
from pathlib import PurePosixPath

Entry = tuple[str, str, str]
#: a binary's source path -> the names of the libraries it links (PyInstaller's get_imports)
Imports = Callable[[str], Iterable[str]]

# What Qt's hooks collect beyond what Pennant uses. QtWebEngine needs the Qml/Quick *libraries*
# (it links them) but no QML modules; the app is English only, so no Qt translations and only
# Chromium's en-US locale (QtWebEngine falls back to it for any other); no developer tools; none
# of the plugins for hardware, printing, positioning or input methods the app never uses.
UNUSED = (
    "PySide6/*qml/*",
    "PySide6/*translations/*.qm",
    "*qtwebengine_locales/*",
    "*qtwebengine_devtools_resources.pak",
    "PySide6/*plugins/designer/*",
    "PySide6/*plugins/qmltooling/*",
    "PySide6/*plugins/qmllint/*",
    "PySide6/*plugins/sqldrivers/*",
    "PySide6/*plugins/position/*",
    "PySide6/*plugins/printsupport/*",
    # Qt reads only the app's own SVG, PNG and ICO icons (the web view decodes its own images)
    "PySide6/*plugins/imageformats/*pdf*", "PySide6/*plugins/imageformats/*tiff*",
    "PySide6/*plugins/imageformats/*webp*", "PySide6/*plugins/imageformats/*tga*",
    "PySide6/*plugins/imageformats/*wbmp*",
    # input from evdev/TUIO devices without a window system (embedded systems)
    "PySide6/*plugins/generic/*",
    "PySide6/*plugins/platforminputcontexts/*virtualkeyboard*",
    "PySide6/*plugins/platforms/*eglfs*", "PySide6/*plugins/egldeviceintegrations/*",
    "PySide6/*plugins/platforms/*vnc*", "PySide6/*plugins/platforms/*linuxfb*",
    "PySide6/*plugins/platforms/*minimal*", "PySide6/*plugins/platforms/*vkkhrdisplay*",
    # Wayland: the xdg-shell and the EGL/shared-memory client buffers are what desktops use; the
    # rest serve embedded shells (IVI, fullscreen, wl-shell, qt-shell) or Qt-made compositors
    "PySide6/*plugins/wayland-graphics-integration-client/*-server*",
    "PySide6/*plugins/wayland-shell-integration/*ivi-shell*",
    "PySide6/*plugins/wayland-shell-integration/*fullscreen-shell*",
    "PySide6/*plugins/wayland-shell-integration/*wl-shell*",
    "PySide6/*plugins/wayland-shell-integration/*qt-shell*",
    # the GTK 3 platform theme would pull the build machine's whole GTK stack into the bundle
    # (without it Qt draws its own file dialogs)
    "PySide6/*plugins/platformthemes/*gtk3*",
    # Libraries that must match the user's system, never the build machine's: the C++ runtime
    # (the Qt wheels are built for older ones, manylinux_2_28, and an older bundled copy breaks
    # the system's GL drivers), Mesa's buffer manager (paired with the system's GPU drivers), and
    # fontconfig with freetype and expat (paired with the system's font configuration)
    "libstdc++.so*", "libgcc_s.so*", "libgbm.so*", "libfontconfig.so*", "libfreetype.so*",
    "libexpat.so*",
)
KEEP = ("*qtwebengine_locales/en-US.pak",)


def _dest(entry: Entry) -> str:
    return entry[0].replace("\\", "/")


def unused(entry: Entry) -> bool:
    dest = _dest(entry)
    if any(fnmatch(dest, pattern) for pattern in KEEP):
        return False
    return any(fnmatch(dest, pattern) for pattern in UNUSED)


def is_qt_library(dest: str) -> bool:
    name = PurePosixPath(dest).name
    return name.startswith(("libQt6", "Qt6")) or (".framework/" in dest and "/Qt" in dest)


def is_root(dest: str) -> bool:
    """A binary loaded for its own sake (an extension module, a Qt plugin, a helper program,
    Python itself) rather than only because another binary links it."""
    name = PurePosixPath(dest).name
    library = ".so" in name or name.endswith((".dll", ".dylib")) or ".framework/" in dest
    return (
        "plugins/" in dest or ".cpython-" in name or ".abi3." in name or name.endswith(".pyd")
        or "QtWebEngineProcess" in dest or name.startswith(("libpython", "python3"))
        or not library
    )


def linked_closure(start: Iterable[Entry], binaries: list[Entry], imports: Imports) -> set[str]:
    """File names of every collected library that ``start`` links, transitively."""
    # Windows' import tables may spell a DLL's name in another case than its file
    by_name = {PurePosixPath(_dest(e)).name.lower(): e[1] for e in binaries}
    seen: set[str] = set()
    todo = [src for _, src, _ in start]
    while todo:
        for linked in imports(todo.pop()):
            name = PurePosixPath(linked.replace("\\", "/")).name.lower()
            if name not in seen and name in by_name:
                seen.add(name)
                todo.append(by_name[name])
    return seen


def prune(binaries: list[Entry], datas: list[Entry], imports: Imports
          ) -> tuple[list[Entry], list[Entry]]:
    """The binaries and data files to bundle.

    Besides the UNUSED files themselves, dropping a plugin leaves behind what only it linked
    (Qt Virtual Keyboard, Qt Pdf, libcups, the GTK stack, ...): the Qt libraries that nothing
    kept links are dropped, and so are other libraries that were there only for a dropped
    plugin. Libraries nothing links at all (loaded with ctypes or dlopen) are left alone.
    Symbolic links to a dropped file go with it."""
    dropped = [e for e in binaries if unused(e)]
    kept = [e for e in binaries if not unused(e)]
    needed = linked_closure([e for e in kept if is_root(_dest(e))], binaries, imports)
    only_for_dropped = linked_closure(dropped, binaries, imports) - needed

    def orphan(entry: Entry) -> bool:
        dest = _dest(entry)
        name = PurePosixPath(dest).name.lower()
        if is_root(dest) or name in needed:
            return False
        return is_qt_library(dest) or name in only_for_dropped

    binaries = [e for e in kept if not orphan(e)]
    datas = [e for e in datas if not unused(e)]
    present = {e[0] for e in binaries + datas if e[2] != "SYMLINK"}
    return ([e for e in binaries if e[2] != "SYMLINK" or e[1] in present],
            [e for e in datas if e[2] != "SYMLINK" or e[1] in present])
