"""Build Pennant's Linux artefacts from the PyInstaller bundle in dist/pennant:

- ``dist/pennant_<version>_<arch>.deb``: the bundle in /opt/pennant, ``pennant`` on PATH, a
  desktop entry and hicolor icons. Libraries the bundle took from this Debian system are left
  out and become Depends (computed by dpkg-shlibdeps), so the system's security updates apply.
- ``dist/pennant-<version>-linux-<machine>.tar.gz``: the bundle as it is, for any recent
  distribution (unpack anywhere, run ``pennant``).

Run by ``make package`` after PyInstaller and packaging/icons.py. Needs dpkg-dev (dpkg-shlibdeps),
and the system libraries the bundle links, installed (.ci/run lists them).
"""

from __future__ import annotations

import argparse
import filecmp
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from email.utils import formatdate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from meta import DISPLAY_NAME, EXECUTABLE, HOMEPAGE, PUBLISHER, ROOT, read_meta  # noqa: E402

PREFIX = Path("opt") / EXECUTABLE
MAINTAINER = f"{PUBLISHER} <dev@pennant.local>"
#: what the app needs that no library links: the certificate store truststore reads to verify
#: Webull's TLS certificates, and the time zones (the exchange's, America/New_York)
RUNTIME_DEPENDS = ("ca-certificates", "tzdata")
#: what a bundled library must not be replaced by, even when the system has the same file:
#: Python's own runtime and everything of Qt and the Python wheels
KEEP_BUNDLED = ("libpython", "libQt6", "libicu", "libshiboken", "libpyside")
ELF_MAGIC = b"\x7fELF"


class BuildError(Exception):
    pass


def run(*cmd: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    try:
        done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, check=True, text=True,
                              capture_output=True)
    except FileNotFoundError as exc:
        raise BuildError(f"{cmd[0]} is not installed ({exc.filename}); the Debian packages "
                         "needed are listed in packaging/linux/build-packages") from None
    except subprocess.CalledProcessError as exc:
        raise BuildError(f"{' '.join(map(str, cmd[:3]))} … failed ({exc.returncode}):\n"
                         f"{exc.stderr.strip()[-3000:]}") from None
    return done.stdout


def source_date_epoch() -> int:
    """The last commit's time, so that rebuilding one commit stamps the same dates."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        return int(os.environ["SOURCE_DATE_EPOCH"])
    try:
        return int(run("git", "-C", ROOT, "log", "-1", "--format=%ct").strip())
    except BuildError:
        return int(time.time())


def is_elf(path: Path) -> bool:
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as f:
        return f.read(4) == ELF_MAGIC


def system_libraries() -> dict[str, Path]:
    """Shared-library file name -> its path on this system, from the loader's cache (this
    machine's word size only: ``(libc6,x86-64)``, ``(libc6,AArch64)``, ...)."""
    found: dict[str, Path] = {}
    for line in run("/sbin/ldconfig", "-p").splitlines()[1:]:
        head, _, path = line.strip().partition(" => ")
        name, _, flags = head.partition(" ")
        if not path or (flags.strip("()") == "libc6" and sys.maxsize > 2**32):
            continue
        found.setdefault(name, Path(path))
    return found


def owning_package(path: Path) -> str | None:
    """The Debian package that installed ``path`` (merged-/usr aware), or None."""
    candidates = {path, path.resolve()}
    for p in list(candidates):
        text = str(p)
        if text.startswith("/usr/lib/"):
            candidates.add(Path(text[4:]))
        elif text.startswith("/lib/"):
            candidates.add(Path("/usr" + text))
    for p in candidates:
        done = subprocess.run(["dpkg", "-S", str(p)], capture_output=True, text=True)
        if done.returncode == 0:
            return done.stdout.split(":", 1)[0].strip()
    return None


def unbundle_system_libraries(internal: Path) -> list[tuple[str, str]]:
    """Remove from the staged bundle each library that is byte-identical to a file of an
    installed Debian package; the package becomes a dependency instead."""
    system = system_libraries()
    removed = []
    for lib in sorted(internal.iterdir()):
        name = lib.name
        if ".so" not in name or name.startswith(KEEP_BUNDLED) or lib.is_dir():
            continue
        target = lib.resolve()
        if not target.is_relative_to(internal.resolve()) or name not in system:
            continue
        if not filecmp.cmp(target, system[name], shallow=False):
            continue
        package = owning_package(system[name])
        if package is None:
            continue
        lib.unlink()
        removed.append((name, package))
    return removed


def library_dirs(bundle: Path) -> list[Path]:
    return sorted({p.parent for p in bundle.rglob("*.so*") if p.is_file()})


def shlib_depends(bundle: Path) -> str:
    """The Depends line for every ELF file in the bundle, by dpkg-shlibdeps: system libraries
    become versioned package dependencies; the bundle's own libraries resolve inside it."""
    elves = [p for p in bundle.rglob("*") if is_elf(p)]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "debian").mkdir()
        (work / "debian" / "control").write_text(
            f"Source: {EXECUTABLE}\n\nPackage: {EXECUTABLE}\nArchitecture: any\n")
        args = ["dpkg-shlibdeps", "-O", "--ignore-missing-info", "--warnings=0",
                *(f"-l{d}" for d in library_dirs(bundle)), "-e", *map(str, elves)]
        out = run(*args, cwd=work)
    for line in out.splitlines():
        if line.startswith("shlibs:Depends="):
            return line.split("=", 1)[1]
    raise BuildError(f"dpkg-shlibdeps printed no Depends:\n{out}")


def debian_version(version: str) -> str:
    """pyproject's version as Debian orders it: a pre-release sorts before its release with
    ``~`` (1.2.3rc1 → 1.2.3~rc1) and a development release before both (1.2.3.dev4 →
    1.2.3~~dev4); post-releases and local versions already sort after it."""
    version = re.sub(r"(?<=\d)\.?dev(?=\d)", "~~dev", version)
    return re.sub(r"(?<=\d)\.?(a|b|rc)(?=\d)", r"~\1", version)


def glibc_needed(bundle: Path) -> str:
    """The newest glibc symbol version any file in the bundle asks for: the oldest glibc the
    portable build runs on."""
    newest = (2, 0)
    for path in bundle.rglob("*"):
        if is_elf(path):
            for found in re.findall(rb"GLIBC_2\.(\d+)", path.read_bytes()):
                newest = max(newest, (2, int(found)))
    return f"{newest[0]}.{newest[1]}"


def write_control(root: Path, version: str, arch: str, depends: str, description: str) -> None:
    size_kib = sum(p.lstat().st_size for p in root.rglob("*") if not p.is_dir()) // 1024
    control = root / "DEBIAN" / "control"
    control.parent.mkdir(parents=True)
    control.write_text(
        f"Package: {EXECUTABLE}\n"
        f"Version: {version}\n"
        f"Architecture: {arch}\n"
        f"Maintainer: {MAINTAINER}\n"
        f"Installed-Size: {size_kib}\n"
        f"Depends: {depends}\n"
        "Section: net\n"
        "Priority: optional\n"
        f"Homepage: {HOMEPAGE}\n"
        f"Description: {DISPLAY_NAME} trading terminal for Webull\n"
        f" {description}.\n"
        " .\n"
        " Accounts, balances and positions kept fresh, and an order ticket for stocks,\n"
        " ETFs, options, futures, crypto and event contracts that always previews before\n"
        " it submits. Includes a Demo environment that needs no account.\n")


def write_docs(root: Path, version: str, epoch: int) -> None:
    doc = root / "usr" / "share" / "doc" / EXECUTABLE
    doc.mkdir(parents=True)
    shutil.copyfile(Path(__file__).with_name("copyright"), doc / "copyright")
    entry = (f"{EXECUTABLE} ({version}) stable; urgency=medium\n\n"
             f"  * Release {version}.\n\n"
             f" -- {MAINTAINER}  {formatdate(epoch, localtime=False)}\n")
    with gzip.GzipFile(doc / "changelog.gz", "wb", compresslevel=9, mtime=epoch) as f:
        f.write(entry.encode())


def stage(bundle: Path, icons: Path, root: Path, version: str, epoch: int
          ) -> list[tuple[str, str]]:
    app = root / PREFIX
    shutil.copytree(bundle, app, symlinks=True)
    removed = unbundle_system_libraries(app / "_internal")
    bin_dir = root / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    # PyInstaller's bootloader finds its _internal folder through the resolved executable path
    (bin_dir / EXECUTABLE).symlink_to(Path("/") / PREFIX / EXECUTABLE)
    apps = root / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    shutil.copyfile(Path(__file__).with_name(f"{EXECUTABLE}.desktop"), apps / f"{EXECUTABLE}.desktop")
    shutil.copytree(icons / "hicolor", root / "usr" / "share" / "icons" / "hicolor")
    write_docs(root, version, epoch)
    for path in root.rglob("*"):  # 755 for folders and programs, 644 for the rest
        if path.is_symlink():
            continue
        executable = path.is_dir() or path.stat().st_mode & 0o111
        path.chmod(0o755 if executable else 0o644)
    return removed


def tarball(bundle: Path, out: Path, top: str, epoch: int) -> None:
    """The bundle as ``<top>/`` in a gzip tarball, with fixed owners, order and dates."""
    run("tar", "--sort=name", "--owner=0", "--group=0", "--numeric-owner", f"--mtime=@{epoch}",
        f"--transform=s,^{bundle.name},{top},", "-czf", out, "-C", bundle.parent.resolve(),
        bundle.name)


def mib(path: Path) -> str:
    return f"{path.stat().st_size / 2**20:.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / EXECUTABLE)
    parser.add_argument("--icons", type=Path, default=ROOT / "build" / "icons")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--compression", choices=("xz", "zstd", "gzip"), default="xz",
                        help="the .deb's compression (xz: smallest; zstd: fast, for tests)")
    args = parser.parse_args(argv)
    if not (args.bundle / EXECUTABLE).is_file():
        print(f"build_deb: no bundle at {args.bundle}; run PyInstaller first (make package)",
              file=sys.stderr)
        return 1
    if not (args.icons / "hicolor").is_dir():
        print(f"build_deb: no icons at {args.icons}; run packaging/icons.py first",
              file=sys.stderr)
        return 1
    meta = read_meta()
    epoch = source_date_epoch()
    try:
        arch = run("dpkg", "--print-architecture").strip()
        started = time.monotonic()
        archive = args.out / f"{EXECUTABLE}-{meta.version}-linux-{os.uname().machine}.tar.gz"
        tarball(args.bundle, archive, f"{EXECUTABLE}-{meta.version}", epoch)
        print(f"{archive.name}: {mib(archive)}, needs glibc {glibc_needed(args.bundle)} or "
              f"newer ({time.monotonic() - started:.0f} s)")

        started = time.monotonic()
        staging = ROOT / "build" / "deb"
        shutil.rmtree(staging, ignore_errors=True)
        root = staging / "root"
        removed = stage(args.bundle, args.icons, root, meta.version, epoch)
        depends = ", ".join([shlib_depends(root / PREFIX), *RUNTIME_DEPENDS])
        version = debian_version(meta.version)
        write_control(root, version, arch, depends, meta.description)
        deb = args.out / f"{EXECUTABLE}_{version}_{arch}.deb"
        level = {"xz": "-z9", "zstd": "-z19", "gzip": "-z9"}[args.compression]
        env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
        run("dpkg-deb", "--root-owner-group", f"-Z{args.compression}", level, "--build", root,
            deb, env=env)
    except BuildError as exc:
        print(f"build_deb: {exc}", file=sys.stderr)
        return 1
    installed = int(run("dpkg-deb", "-f", deb, "Installed-Size").strip()) / 1024
    print(f"{deb.name}: {mib(deb)}, {installed:.0f} MiB installed "
          f"({time.monotonic() - started:.0f} s)")
    print(f"  left to Debian ({len(removed)} libraries): "
          + ", ".join(sorted({pkg for _, pkg in removed})))
    print(f"  Depends: {depends}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
