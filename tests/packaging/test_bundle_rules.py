"""The bundle keeps what Pennant runs on and drops the rest, on the wheel layouts of every OS."""

from __future__ import annotations

import ast
import ctypes
import importlib.util
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from bundle_rules import (  # type: ignore[import-not-found]
    NOT_IMPORTED_AT_RUN_TIME,
    find_icupkg,
    has_symbol_table,
    icu_library_data,
    icu_unused,
    icupkg,
    is_root,
    loaded_image,
    prune,
    same_loaded_image,
    trim_icu_library,
    unused,
)

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
    "pyqtgraph/icons/auto.png",  # the plot's auto-range button
    "pyqtgraph/icons/invisibleEye.svg",
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
    "PySide6/Qt/plugins/imageformats/libqjpeg.so",
    "PySide6/Qt/plugins/imageformats/libqgif.so",
    "PySide6/plugins/imageformats/qicns.dll",
    "pyqtgraph/icons/peegee/peegee_512px@2x.png",
    "pyqtgraph/colors/maps/CET-L1.csv",
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


# ------------------------------------------------------------------------ ELF files
needs_pyelftools = pytest.mark.skipif(
    importlib.util.find_spec("elftools") is None,
    reason="reads ELF files with pyelftools (the package extra: pip install -e '.[package]')")


def _elf(payload: bytes = b"\x90" * 64, *, symtab: bool = False, gap: int = 0,
         load_offset: int = 0) -> bytes:
    """A little-endian ELF64 file: header, program header, ``payload``, ``gap`` bytes, then the
    section headers (a null one and, if asked, an empty .symtab and its string table). Its one
    PT_LOAD maps header and payload at address 0 from file offset ``load_offset``."""
    loaded = 64 + 56 + len(payload)
    sections = bytes(64) + (struct.pack("<IIQQQQIIQQ", 0, 3, 0, 0, 0, 0, 0, 0, 1, 0)
                            + struct.pack("<IIQQQQIIQQ", 0, 2, 0, 0, 0, 0, 1, 0, 8, 24)
                            if symtab else b"")
    header = (b"\x7fELF\x02\x01\x01" + bytes(9)
              + struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0, 64, loaded + gap, 0, 64, 56, 1, 64,
                            len(sections) // 64, 0))
    phdr = struct.pack("<IIQQQQQQ", 1, 4, load_offset, 0, 0, loaded, loaded, 0x1000)
    return header + phdr + payload + bytes(gap) + sections


@pytest.fixture
def write(tmp_path: Path):
    def write(data: bytes) -> Path:
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}.so"
        path.write_bytes(data)
        return path
    return write


@needs_pyelftools
def test_a_symbol_table_is_found(write) -> None:
    assert has_symbol_table(write(_elf(symtab=True)))
    assert not has_symbol_table(write(_elf()))
    assert not has_symbol_table(write(b"#!/bin/sh\n"))  # not ELF at all


@needs_pyelftools
def test_stripping_may_move_the_section_headers_but_nothing_the_loader_maps(write) -> None:
    original = write(_elf(symtab=True, gap=4096))  # the symbol table's bytes, before the headers
    assert same_loaded_image(original, write(_elf()))
    assert not same_loaded_image(original, write(_elf(b"\x90" * 63 + b"\xc3")))  # other code
    assert not same_loaded_image(original, write(_elf(b"\x90" * 80)))  # a longer segment


@needs_pyelftools
def test_a_segment_moved_off_its_page_offset_is_refused(write) -> None:
    """What strip does to libraries that patchelf enlarged: the loader refuses the result
    ("ELF load command address/offset not page-aligned")."""
    assert not same_loaded_image(write(_elf()), write(_elf(load_offset=0x98)))
    with pytest.raises(ValueError, match="not congruent"):
        loaded_image(write(_elf(load_offset=0x98)))


# ------------------------------------------------------------------------ ICU data
@pytest.mark.parametrize("item", [  # named as `icupkg -l` lists them
    "coll/zh.res", "coll/ucadata.icu", "zone/de.res", "metaZones.res", "zoneinfo64.res",
    "gb18030.cnv", "cnvalias.icu", "root.res", "en.res", "nfkc.nrm",
    # read while ICU formats numbers and zone names (currency, region): kept to be safe
    "curr/en.res", "region/de.res", "lang/en.res",
])
def test_icu_data_that_qt_reads_is_kept(item: str) -> None:
    assert not icu_unused(item)


@pytest.mark.parametrize("item", [
    "brkitr/cjdict.dict", "brkitr/word.brk", "translit/root.res", "rbnf/en.res", "unit/de.res",
    "rfc3491.spp", "confusables.cfu", "unames.icu",
])
def test_icu_data_that_qt_never_reads_goes(item: str) -> None:
    assert icu_unused(item)


def _qt_icu_data() -> Path | None:
    """The ICU data library of the Qt wheel (Linux), found without loading Qt."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or spec.origin is None:
        return None
    return next(iter(sorted(Path(spec.origin).parent.glob("Qt/lib/libicudata.so.*"))), None)


QT_ICU_DATA = _qt_icu_data()
# Loads ``data`` (an ICU data library), then the Qt wheel's ICU beside ``qt_icu`` (which takes
# the loaded library: same SONAME) and prints the status of opening a converter, a collator, a
# calendar and a word-break iterator (>0 an error, 2 U_MISSING_RESOURCE_ERROR; <0 a warning).
ICU_OPEN = """
import ctypes, sys
data, qt_icu, version = sys.argv[1:]
ctypes.CDLL(data, mode=ctypes.RTLD_GLOBAL)
uc, i18n = (ctypes.CDLL(f"{qt_icu}/libicu{name}.so.{version}") for name in ("uc", "i18n"))
def status(library, function, *args):
    error = ctypes.c_int(0)
    getattr(library, f"{function}_{version}")(*args, ctypes.byref(error))
    return error.value
print(status(uc, "ucnv_open", b"Shift_JIS"), status(i18n, "ucol_open", b"de"),
      status(i18n, "ucal_open", None, 0, b"de", 0), status(uc, "ubrk_open", 1, b"en", None, 0))
"""


def _icu_open(data: Path) -> list[int]:
    assert QT_ICU_DATA is not None
    version = QT_ICU_DATA.name.rsplit(".", 1)[1]
    run = subprocess.run([sys.executable, "-c", ICU_OPEN, str(data), str(QT_ICU_DATA.parent),
                          version], check=True, capture_output=True, text=True)
    return [int(status) for status in run.stdout.split()]


def _items(data: bytes, tmp: Path) -> set[str]:
    (tmp / "list.dat").write_bytes(data)
    return set(icupkg("--auto_toc_prefix", "-l", tmp / "list.dat").split())


@needs_pyelftools
@pytest.mark.skipif(QT_ICU_DATA is None, reason="needs the Qt wheel's ICU (PySide6 on Linux)")
@pytest.mark.skipif(find_icupkg() is None or not shutil.which("as") or not shutil.which("ld"),
                    reason="needs icupkg (Debian: icu-devtools) and binutils (as, ld)")
def test_the_trimmed_qt_icu_library_loads_without_the_unused_items(tmp_path: Path) -> None:
    assert QT_ICU_DATA is not None
    out = tmp_path / "out" / QT_ICU_DATA.name

    dropped = trim_icu_library(QT_ICU_DATA, out)

    symbol, soname, data = icu_library_data(QT_ICU_DATA)
    trimmed_symbol, trimmed_soname, trimmed = icu_library_data(out)
    assert (trimmed_symbol, trimmed_soname) == (symbol, soname)
    # the same header (byte order, charset family, format), every item but the dropped ones
    assert trimmed[:24] == data[:24]
    assert dropped and all(icu_unused(item) for item in dropped)
    assert _items(trimmed, tmp_path) == _items(data, tmp_path) - set(dropped)
    library = ctypes.CDLL(str(out))  # what ICU's libicuuc sees: the symbol, loaded
    address = ctypes.addressof(ctypes.c_char.in_dll(library, symbol))
    assert ctypes.string_at(address, len(trimmed)) == trimmed
    # ICU itself: converters, collation and calendars open as with the whole data; word
    # breaks, whose rules went, do not
    converter, collator, calendar, word_breaks = _icu_open(out)
    assert converter <= 0 and collator <= 0 and calendar <= 0 and word_breaks == 2
    assert _icu_open(QT_ICU_DATA)[3] <= 0


def _modules_used(source: str) -> set[str]:
    """Every module a file imports, and every dotted name it reaches through an imported module
    (``import numpy as np`` then ``np.random.seed`` uses numpy.random.seed)."""
    tree = ast.parse(source)
    used: set[str] = set()
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                used.add(alias.name)
                aliases[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            used.add(node.module)
            for alias in node.names:
                used.add(f"{node.module}.{alias.name}")
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            parts = []
            inner: ast.expr = node
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id in aliases:
                used.add(".".join([aliases[inner.id], *reversed(parts)]))
    return used


def test_modules_left_out_of_the_bundle_are_not_used_by_the_app() -> None:
    app = Path(__file__).resolve().parents[2] / "app"
    found = []
    for path in sorted(app.rglob("*.py")):
        for name in _modules_used(path.read_text(encoding="utf-8")):
            hit = [m for m in NOT_IMPORTED_AT_RUN_TIME if name == m or name.startswith(m + ".")]
            if hit:
                found.append(f"{path.relative_to(app.parent)}: {name}")
    assert not found, ("the bundle leaves these out (bundle_rules.NOT_IMPORTED_AT_RUN_TIME), "
                       f"but the app uses them: {found}")


def test_the_check_sees_a_module_reached_through_an_alias() -> None:
    used = _modules_used("import numpy as np\nfrom pydantic import v1\nx = np.random.seed(1)\n")
    assert "numpy.random.seed" in used and "pydantic.v1" in used
