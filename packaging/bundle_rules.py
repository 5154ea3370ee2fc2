"""What goes into Pennant's PyInstaller bundle beyond PyInstaller's own choice: the rules the
spec applies to the collected files, kept here (not in the spec) so that tests can check them.

Entries are PyInstaller TOC tuples ``(dest, src, typecode)``; ``dest`` uses the wheel's layout on
every OS (``PySide6/Qt/plugins/...`` on Linux and macOS, ``PySide6/plugins/...`` on Windows).
On Linux the spec also strips symbol tables (checked with same_loaded_image) and trims Qt's ICU
data library (ICU_UNUSED, trim_icu_library).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from elftools.elf.elffile import ELFFile

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
    # Qt reads only the app's own SVG, PNG and ICO icons (the web view decodes its own images;
    # PNG is built into QtGui): no PDF, TIFF, WebP, TGA, WBMP, GIF, JPEG or macOS icns reader
    "PySide6/*plugins/imageformats/*pdf*", "PySide6/*plugins/imageformats/*tiff*",
    "PySide6/*plugins/imageformats/*webp*", "PySide6/*plugins/imageformats/*tga*",
    "PySide6/*plugins/imageformats/*wbmp*", "PySide6/*plugins/imageformats/*gif*",
    "PySide6/*plugins/imageformats/*jpeg*", "PySide6/*plugins/imageformats/*icns*",
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
    # pyqtgraph's logo (the window icon of apps whose QApplication pyqtgraph makes) and its
    # colour-map tables (for images and colour bars): Pennant's charts draw lines, points and
    # bars in the theme's colours, with pyqtgraph's menus and buttons off (app/ui/charts.py)
    "pyqtgraph/icons/peegee/*", "pyqtgraph/colors/maps/*",
)
KEEP = ("*qtwebengine_locales/en-US.pak",)

# Python that nothing imports when Pennant runs, only on request (NumPy's lazy submodules) or in
# code the app never reaches: NumPy's Fortran wrapper generator, tests, masked arrays,
# polynomial classes, random numbers and FFT (pyqtgraph uses np.random and np.fft only for
# scatter jitter and the FFT mode of its plot menu, which app/ui/charts.py turns off);
# pydantic's v1 API (Pennant has no v1 models) and its mypy plugin; pyqtgraph's flow-chart
# editor; the test, doctest and debugger modules; decimal's pure-Python twin of _decimal.
# The spec excludes them (PyInstaller then warns that hidden imports pydantic.v1.* are not
# found: expected); tests/packaging checks that app/ uses none of them.
NOT_IMPORTED_AT_RUN_TIME = (
    "numpy.f2py", "numpy.testing", "numpy.ma", "numpy.polynomial", "numpy.random", "numpy.fft",
    "numpy._core._multiarray_tests", "pydantic.v1", "pydantic.mypy", "pyqtgraph.flowchart",
    "unittest", "doctest", "pdb", "_pydecimal",
)


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


# ------------------------------------------------------------------------ ELF files (Linux)
# pyelftools reads them: the spec and the tests check the stripped and rebuilt libraries below
# without running a tool. (Imported on use: it comes with the `package` extra, for Linux.)
def _elf(path: Path) -> ELFFile:
    from elftools.elf.elffile import ELFFile

    return ELFFile.load_from_path(path)


def has_symbol_table(path: Path) -> bool:
    """An ELF file with a .symtab: the full symbol table a linker leaves, which nothing needs
    at run time."""
    with path.open("rb") as file:
        if file.read(4) != b"\x7fELF":
            return False
    with _elf(path) as elf:
        return any(True for _ in elf.iter_sections("SHT_SYMTAB"))


def loaded_image(path: Path) -> list[object]:
    """What the dynamic loader maps: the file header and each PT_LOAD segment's address, size,
    flags and bytes. ValueError if a segment's file offset and address disagree modulo its
    alignment (the loader refuses such a file: "ELF load command address/offset not
    page-aligned")."""
    with _elf(path) as elf:
        # the header is mapped too, but where the section headers are (e_shoff, e_shentsize,
        # e_shnum, e_shstrndx) matters only to tools, and strip moves them
        image: list[object] = [{k: v for k, v in elf.header.items() if not k.startswith("e_sh")}]
        for seg in elf.iter_segments("PT_LOAD"):
            offset, vaddr, align = seg["p_offset"], seg["p_vaddr"], seg["p_align"]
            if align > 1 and (offset - vaddr) % align:
                raise ValueError(f"segment at {vaddr:#x}: file offset {offset:#x} is not "
                                 f"congruent to it modulo {align:#x}")
            after_header = max(0, elf["e_ehsize"] - offset)
            image.append((vaddr, seg["p_memsz"], seg["p_flags"], seg.data()[after_header:]))
        return image


def same_loaded_image(original: Path, stripped: Path) -> bool:
    """Whether the dynamic loader maps both files alike: same segments, same bytes. Stripping
    only drops what is not loaded, but strip rewrites the whole file, and on a library that
    patchelf enlarged (auditwheel's, in numpy.libs) it moves segments to offsets the loader
    refuses; such a file must be shipped as it came."""
    from elftools.common.exceptions import ELFError

    try:
        return loaded_image(original) == loaded_image(stripped)
    except (ValueError, ELFError):
        return False


# ------------------------------------------------------------------------ ICU data (Linux)
# Qt's ICU (libicudata.so.NN from the Qt wheel, 31 MB) holds all of ICU's data, and Qt uses a
# little of it. Only QtCore calls ICU (`nm -D --undefined-only` on every Qt library, plugin and
# module: QtWebEngine has its own ICU and icudtl.dat), and only for case mapping (u_strToUpper,
# u_strToLower), text codecs (ucnv_*), collation (ucol_*) and time-zone names (ucal_open,
# ucal_getTimeZoneDisplayName, ucal_getCanonicalTimeZoneID). Those read the converter tables,
# the collation, zone and locale trees and the top-level tables, which stay. Break iteration
# with its word dictionaries, transliteration, spelled-out numbers, measurement units,
# stringprep profiles, spoof checks and character names serve other ICU services and go.
# Item names as `icupkg -l` lists them, without the package's prefix (brkitr/cjdict.dict).
ICU_UNUSED = ("brkitr/*", "translit/*", "rbnf/*", "unit/*", "*.spp", "*.cfu", "unames.icu")


def icu_unused(item: str) -> bool:
    return any(fnmatch(item, pattern) for pattern in ICU_UNUSED)


def find_icupkg() -> str | None:
    """ICU's package tool (Debian's icu-devtools puts it in /usr/sbin)."""
    return shutil.which("icupkg", path=f"{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin")


def icupkg(*args: str | Path) -> str:
    """Run icupkg; its output."""
    tool = find_icupkg()
    if tool is None:
        raise FileNotFoundError("icupkg is needed to trim Qt's ICU data: install the Debian "
                                "package icu-devtools (see packaging/linux/build-packages)")
    return subprocess.run([tool, *map(str, args)], check=True, stdout=subprocess.PIPE,
                          text=True).stdout


def icu_library_data(library: Path) -> tuple[str, str, bytes]:
    """(symbol, soname, common data) of an ICU data library: the one icudtNN_dat symbol."""
    with _elf(library) as elf:
        found = [symbol for table in elf.iter_sections("SHT_DYNSYM")
                 for symbol in table.iter_symbols()
                 if fnmatch(symbol.name, "icudt*_dat") and symbol["st_size"]]
        sonames = [tag.soname for dynamic in elf.iter_sections("SHT_DYNAMIC")
                   for tag in dynamic.iter_tags("DT_SONAME")]
        if len(found) != 1 or len(sonames) != 1:
            raise ValueError(f"expected one icudt*_dat symbol and a SONAME in {library}, found "
                             f"{[s.name for s in found]}, {sonames}")
        address, size = found[0]["st_value"], found[0]["st_size"]
        offset = next(elf.address_offsets(address, size), None)
        if offset is None:
            raise ValueError(f"{found[0].name} is not in the loaded image of {library}")
        elf.stream.seek(offset)
        return found[0].name, sonames[0], elf.stream.read(size)


def write_data_library(out: Path, symbol: str, soname: str, data: bytes) -> None:
    """A shared library that exports ``data`` as the read-only symbol ``symbol`` and nothing
    else, as ICU's own libicudata is built (binutils: as and ld)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        blob, source, obj = Path(tmp, "data.bin"), Path(tmp, "data.s"), Path(tmp, "data.o")
        blob.write_bytes(data)
        source.write_text(
            '\t.section .rodata\n\t.balign 16\n'
            f'\t.globl {symbol}\n\t.type {symbol}, %object\n\t.size {symbol}, {len(data)}\n'
            f'{symbol}:\n\t.incbin "{blob.name}"\n'
            '\t.section .note.GNU-stack, "", %progbits\n')
        subprocess.run(["as", "-o", obj.name, source.name], cwd=tmp, check=True)
        subprocess.run(["ld", "-shared", "--strip-all", "--hash-style=gnu", "-z", "noexecstack",
                        "-soname", soname, "-o", str(out.resolve()), obj.name],
                       cwd=tmp, check=True)


def trim_icu_library(source: Path, out: Path) -> list[str]:
    """Write to ``out`` the ICU data library ``source`` without the ICU_UNUSED items; return
    the names of the items left out. Reads ``out`` back to check it."""
    symbol, soname, data = icu_library_data(source)
    with tempfile.TemporaryDirectory() as tmp:
        package, trimmed, dropped_list = (Path(tmp, name) for name in
                                          ("in.dat", "out.dat", "dropped.txt"))
        package.write_bytes(data)
        # --auto_toc_prefix: item names keep the package's prefix (icudt73l/), which is what
        # ICU looks up, not the file's name. No --type: the output keeps the input's byte order.
        # icupkg fails if a kept item depends on a removed one (a parent locale, an alias).
        dropped = [item for item in icupkg("--auto_toc_prefix", "-l", package).split()
                   if icu_unused(item)]
        dropped_list.write_text("".join(f"{item}\n" for item in dropped))
        icupkg("--auto_toc_prefix", "-r", dropped_list, package, trimmed)
        kept = trimmed.read_bytes()
    write_data_library(out, symbol, soname, kept)
    if icu_library_data(out) != (symbol, soname, kept):
        raise ValueError(f"{out} does not read back as the trimmed ICU data")
    return dropped
