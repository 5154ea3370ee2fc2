#!/usr/bin/env python3
"""Packaging test of the Linux .deb: install into a clean Debian 12 root, run, upgrade, purge.

    python3 packaging/linux/package_test.py [--mode chroot|host] [--keep] DEB [TARBALL]

chroot mode (the default, what `make package-test` runs; needs root): a minimal Debian 12 root
made by ``debootstrap --variant=minbase bookworm`` under build/pkgtest/ (cached as
build/pkgtest/bookworm-minbase.tar for 7 days; every run unpacks a fresh copy). apt-get installs
the .deb from the Debian mirror with --no-install-recommends, so the package's Depends are all
that stands between a bare system and a running app: a missing Depends shows up as a crash.

host mode (a throw-away CI container where chroot is not allowed): the same checks on the running
system itself. It installs pennant, its Depends and the test tools into the live system and adds
the user ``trader``, so it runs only when both ``--mode host`` is given and the environment has
PENNANT_PACKAGE_TEST_HOST=1 (the release workflow sets it); otherwise it refuses (exit 2) before
touching anything.

The app always runs as an unprivileged user made for the test (``trader``), offscreen. The
clean-root machinery (debootstrap cache, mounts, running commands in the target) is in
testroot.py next to this file. Python 3.11 standard library only. Exit status 0 only if every
check passed, 1 if a check failed, 2 if the test refused to run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import testroot as tr
from testroot import HOME, USER, CheckFailed, Refused, Target

SCREENSHOT_OUT = tr.WORK / "installed-screenshot.png"
PACKAGE = "pennant"
TMP_IN = "/tmp/pennant-pkgtest"  # where the .debs and the tarball go inside the target
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Pennant's per-user folders (platformdirs on Linux, see app/core/paths.py)
DATA_DIRS = (f"{HOME}/.config/Pennant", f"{HOME}/.local/share/Pennant")
# Test tools only, installed after the package's own checks so that they cannot hide a missing
# Depends: a Secret Service for the keychain check (as .ci/secretservice-test does) and the
# desktop-entry validator.
TEST_TOOLS = ("dbus-daemon", "gnome-keyring", "desktop-file-utils")
SANDBOX_OFF = ("QTWEBENGINE_DISABLE_SANDBOX", "--no-sandbox")
# Directories the package shares with the rest of the system: they stay after a purge.
SHARED_DIRS = {"/", "/opt", "/usr", "/usr/bin", "/usr/share", "/usr/share/applications",
               "/usr/share/doc", "/usr/share/icons", "/usr/share/icons/hicolor",
               "/usr/share/metainfo", "/usr/share/pixmaps", "/usr/lib"}
SHARED_DIR_RE = re.compile(r"^/usr/share/icons/hicolor/[^/]+(/apps)?$")
# The size targets: the .deb at most 130 MB (bytes) and at most 400 MB installed, in
# du's MiB like its other figures ("QtWebEngine alone is about 195 MB" is the 194.8 MiB library);
# dpkg's Installed-Size is in KiB.
MAX_DEB_BYTES = 130_000_000
MAX_INSTALLED_KIB = 400 * 1024


# ------------------------------------------------------------------------------------ report
@dataclass
class Report:
    steps: list[tuple[str, bool, float, str]] = field(default_factory=list)
    stats: dict[str, str] = field(default_factory=dict)

    @contextlib.contextmanager
    def step(self, name: str, fatal: bool = False) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        except Exception as exc:  # noqa: BLE001 -- every failure is a report line; fatal ones stop
            seconds = time.monotonic() - started
            text = str(exc) if isinstance(exc, CheckFailed) else f"{type(exc).__name__}: {exc}"
            self.steps.append((name, False, seconds, text))
            print(f"[{seconds:6.1f} s] FAIL  {name}\n      {text}", flush=True)
            if fatal:
                if isinstance(exc, (CheckFailed, Refused)):
                    raise
                raise CheckFailed(text) from exc
        else:
            seconds = time.monotonic() - started
            self.steps.append((name, True, seconds, ""))
            print(f"[{seconds:6.1f} s] ok    {name}", flush=True)

    @property
    def failed(self) -> list[str]:
        return [name for name, ok, _, _ in self.steps if not ok]


# ------------------------------------------------------------------------------------ helpers
def png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def selftest_lines(out: str) -> dict[str, str]:
    """{'Qt': 'ok', 'Keychain': 'FAIL', ...} from --selftest output."""
    checks = {}
    for line in out.splitlines():
        m = re.match(r"^(ok|FAIL)\s+(\S+)", line)
        if m:
            checks[m.group(2)] = m.group(1)
    return checks


def check_version_output(target: Target, exe: str, version: str, log: str,
                         hint: str = "") -> None:
    """``exe --version`` as the test user prints ``Pennant <version>`` last."""
    out = target.user_sh(f"{shlex.quote(exe)} --version", timeout=120, log=log).out.strip()
    print(f"      > {out}")
    if out.splitlines()[-1:] != [f"Pennant {version}"]:
        raise CheckFailed(f"{exe} --version printed {out!r}, expected 'Pennant {version}'{hint}")


def keyring_selftest(target: Target, exe: str, log: str, lines: int, label: str) -> None:
    """``exe --selftest`` with the Secret Service up must exit 0."""
    res = target.keyring_sh(f"{shlex.quote(exe)} --selftest", timeout=180, check=False, log=log)
    tr.show(res.out, lines)
    if res.code != 0:
        raise CheckFailed(f"{label} exit {res.code}")


# ------------------------------------------------------------------------------------ the steps
@dataclass
class Checks:
    """What the steps share: where they run, what they test, what they measured so far."""
    target: Target
    report: Report
    deb: Path
    tarball: Path | None
    full_version: str  # the .deb's Version, e.g. 0.1.0-1
    version: str  # the upstream version the app prints, e.g. 0.1.0
    work: Path  # a host scratch folder (the bumped .deb is built there)
    opt_before: dict[str, tuple] = field(default_factory=dict)

    def step(self, name: str, fatal: bool = False) -> contextlib.AbstractContextManager[None]:
        return self.report.step(name, fatal)


def step_sizes(c: Checks) -> None:
    with c.step(f"0. sizes: .deb <= {MAX_DEB_BYTES // 10**6} MB, dpkg Installed-Size <= "
                f"{MAX_INSTALLED_KIB // 1024} MiB"):
        deb_bytes = c.deb.stat().st_size
        installed_kib = int(tr.deb_field(c.deb, "Installed-Size"))
        print(f"      .deb {deb_bytes} bytes ({deb_bytes / 10**6:.1f} MB); Installed-Size "
              f"{installed_kib} KiB ({installed_kib / 1024:.1f} MiB)")
        problems = []
        if deb_bytes > MAX_DEB_BYTES:
            problems.append(f"the .deb is {deb_bytes} bytes ({deb_bytes / 10**6:.1f} MB), over "
                            f"the limit of {MAX_DEB_BYTES} bytes")
        if installed_kib > MAX_INSTALLED_KIB:
            problems.append(f"dpkg Installed-Size is {installed_kib} KiB "
                            f"({installed_kib / 1024:.1f} MiB), over the limit of "
                            f"{MAX_INSTALLED_KIB} KiB ({MAX_INSTALLED_KIB // 1024} MiB)")
        if problems:
            raise CheckFailed("; ".join(problems))


def step_prepare(c: Checks) -> None:
    target = c.target
    with c.step("prepare the system: apt-get update, test user", fatal=True):
        if target.chroot:
            target.configure_chroot()
        target.root_run(["apt-get", "update"], timeout=600, log="apt-update")
        exists = target.user_exists()
        if exists and not target.chroot:
            leftovers = [d for d in DATA_DIRS if target.path(d).exists()]
            if leftovers:
                raise CheckFailed(f"user {USER} already has Pennant data ({', '.join(leftovers)}):"
                                  " not a clean start; remove it or use chroot mode")
        if not exists:
            target.add_user()
        target.init_user_session()


def step_install(c: Checks) -> None:
    target, stats = c.target, c.report.stats
    before = target.installed_packages()
    deb_in = target.copy_in(c.deb, TMP_IN)
    with c.step(f"apt-get install --no-install-recommends {c.deb.name} (Depends from the mirror)",
                fatal=True):
        target.root_run(["apt-get", "install", "-y", "--no-install-recommends", deb_in],
                        timeout=1200, log="apt-install-deb")
        status = target.dpkg_status(PACKAGE)
        if not status.startswith("ii") or not status.endswith(c.full_version):
            raise CheckFailed(f"dpkg reports {status!r}, expected installed {c.full_version}")
    added = sorted(target.installed_packages() - before - {PACKAGE})
    stats["depends_pulled"] = str(len(added))
    print(f"      the Depends pulled in {len(added)} packages: {' '.join(added)}")
    if not target.chroot:
        print("      (host mode: libraries already on this system do not show up here, so "
              "this run proves less about Depends than chroot mode)")
    opt = target.path("/opt/pennant")
    disk, apparent = tr.du(opt) if opt.is_dir() else (0, 0)
    stats["installed_size"] = (f"dpkg Installed-Size {tr.deb_field(c.deb, 'Installed-Size')} "
                               f"KiB; du /opt/pennant {tr.mib(disk)} on disk, "
                               f"{tr.mib(apparent)} apparent")


def step_layout(c: Checks) -> None:
    with c.step("package layout: /usr/bin/pennant, /opt/pennant, no sandbox override"):
        check_layout(c.target)
    opt = c.target.path("/opt/pennant")
    c.opt_before = tr.tree_snapshot(opt) if opt.is_dir() else {}


def step_version(c: Checks) -> None:
    with c.step("1. command -v pennant is /usr/bin/pennant; pennant --version"):
        where = c.target.user_sh("command -v pennant", timeout=30, log="command-v").out.strip()
        if where != "/usr/bin/pennant":
            raise CheckFailed(f"command -v pennant gave {where!r}, expected /usr/bin/pennant")
        check_version_output(c.target, "pennant", c.version, "version",
                             f" (the .deb's Version is {c.full_version})")


def step_screenshot(c: Checks) -> None:
    shot_in = f"{HOME}/shot.png"
    with c.step("3. pennant --demo --screenshot (offscreen, as the test user, 180 s max)"):
        res = c.target.user_sh(f"pennant --demo --screenshot {shot_in}", timeout=180,
                               log="screenshot")
        print(f"      {res.seconds:.1f} s")
        shot = c.target.path(shot_in)
        if not shot.is_file():
            raise CheckFailed(f"exit 0 but no {shot_in}\n{tr.tail(res.out)}")
        data = shot.read_bytes()
        if not data.startswith(PNG_MAGIC):
            raise CheckFailed(f"{shot_in} is not a PNG (starts with {data[:8]!r})")
        if len(data) <= 20_000:
            raise CheckFailed(f"{shot_in} is only {len(data)} bytes (expected > 20 kB): blank?")
        width, height = png_size(data)
        shutil.copyfile(shot, SCREENSHOT_OUT)
        print(f"      PNG {width}x{height}, {len(data) // 1024} KiB -> {tr.rel(SCREENSHOT_OUT)}")


def step_selftest_without_keyring(c: Checks) -> None:
    with c.step("2a. pennant --selftest with only the package's Depends (no Secret Service yet): "
                "Qt, QtWebEngine, SQLite ok; Keychain reports no keychain"):
        res = c.target.user_sh("pennant --selftest", timeout=180, check=False,
                               log="selftest-nokeyring")
        tr.show(res.out)
        checks = selftest_lines(res.out)
        bad = [name for name in ("Qt", "QtWebEngine", "SQLite") if checks.get(name) != "ok"]
        if bad or "Keychain" not in checks:
            raise CheckFailed(f"exit {res.code}; checks not ok: {bad or 'Keychain line missing'}")
        if checks["Keychain"] == "ok":
            raise CheckFailed("the Keychain check passed without any Secret Service: which "
                              "backend is that? (a plaintext store must be refused)")
        if res.code == 0:
            raise CheckFailed("exit 0 although the Keychain check failed")


def step_test_tools(c: Checks) -> None:
    with c.step(f"install test tools (not the package's Depends): {' '.join(TEST_TOOLS)}",
                fatal=True):
        before_tools = c.target.installed_packages()
        c.target.root_run(["apt-get", "install", "-y", "--no-install-recommends", *TEST_TOOLS],
                          timeout=1200, log="apt-install-tools")
        print(f"      {len(c.target.installed_packages() - before_tools)} packages")


def step_selftest(c: Checks) -> None:
    with c.step("2. pennant --selftest exit 0 (GNOME Keyring unlocked on a private D-Bus session)"):
        keyring_selftest(c.target, "pennant", "selftest", 30, "pennant --selftest")


def step_desktop(c: Checks) -> None:
    with c.step("desktop-file-validate /usr/share/applications/pennant.desktop; hicolor icons"):
        check_desktop_and_icons(c.target)


def step_data_location(c: Checks) -> None:
    target = c.target
    with c.step("4. user data only under ~/.config/Pennant and ~/.local/share/Pennant; "
                "/opt/pennant unchanged"):
        found = {d: sorted(tr.hash_tree(target.path(d))) for d in DATA_DIRS}
        for d, files in found.items():
            print(f"      {d}: {', '.join(files) if files else '(none)'}")
        if not any(found.values()):
            raise CheckFailed(f"no files under {' or '.join(DATA_DIRS)} after the runs")
        opt = target.path("/opt/pennant")
        if opt.is_dir():
            after = tr.tree_snapshot(opt)
            changed = sorted(k for k in set(c.opt_before) | set(after)
                             if c.opt_before.get(k) != after.get(k))
            if changed:
                raise CheckFailed(f"/opt/pennant changed while the app ran: {changed[:20]}")
        strays = [p for p in ("/root/.config/Pennant", "/root/.local/share/Pennant")
                  if target.path(p).exists()] if target.chroot else []
        if strays:
            raise CheckFailed(f"found Pennant data in root's home: {strays}")


def step_upgrade(c: Checks) -> None:
    target = c.target
    with c.step("5. upgrade to a .deb with only the Version bumped: data kept byte for byte"):
        new_deb, new_version = tr.bumped_deb(c.deb, c.full_version, c.work)
        print(f"      built {new_deb.name} ({tr.mib(new_deb.stat().st_size)})")
        home_before = tr.hash_tree(target.path(HOME))
        data_files = [f for f in home_before if f.startswith((".config/Pennant/",
                                                              ".local/share/Pennant/"))]
        if not data_files:
            raise CheckFailed("no user data to carry over (check 4 failed)")
        new_in = target.copy_in(new_deb, TMP_IN)
        target.root_run(["apt-get", "install", "-y", "--no-install-recommends", new_in],
                        timeout=1200, log="apt-upgrade")
        target.path(new_in).unlink()
        new_deb.unlink()
        got = target.dpkg_status(PACKAGE)
        if got != f"ii  {new_version}":
            raise CheckFailed(f"after the upgrade dpkg reports {got!r}, expected ii {new_version}")
        home_after = tr.hash_tree(target.path(HOME))
        differ = sorted(f for f in set(home_before) | set(home_after)
                        if home_before.get(f) != home_after.get(f))
        if differ:
            raise CheckFailed(f"the upgrade changed files in {HOME}: {differ}")
        print(f"      dpkg: {got}; {len(home_before)} files in {HOME} identical "
              f"({len(data_files)} of them Pennant's)")
        keyring_selftest(target, "pennant", "selftest-upgraded", 6,
                         "pennant --selftest after the upgrade:")


def step_purge(c: Checks) -> None:
    target = c.target
    with c.step("6. apt-get purge pennant: every packaged path gone, user data kept"):
        listed = target.root_run(["dpkg", "-L", PACKAGE], timeout=60, log="dpkg-L").out
        paths = [p for p in listed.splitlines() if p.startswith("/")]
        owners = target.dir_owners(paths)
        data_before = {d: tr.hash_tree(target.path(d)) for d in DATA_DIRS}
        target.root_run(["apt-get", "purge", "-y", PACKAGE], timeout=600, log="apt-purge")
        state = target.root_run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}", PACKAGE],
                                timeout=30, check=False, log="dpkg-status")
        # a purged package is either unknown to dpkg (exit 1) or "un"/"pn" (not installed)
        if state.code == 0 and not state.out.startswith(("un", "pn")):
            raise CheckFailed(f"after the purge dpkg still has {PACKAGE}: {state.out!r}")
        left, kept_shared = left_after_purge(target, paths, owners)
        if left:
            raise CheckFailed(f"left behind after the purge: {left[:30]}")
        print(f"      {len(paths)} packaged paths gone, except {len(kept_shared)} shared "
              f"directories")
        stray = target.find_named(PACKAGE)
        if stray:
            raise CheckFailed(f"files named *pennant* left outside the package list: {stray}")
        data_after = {d: tr.hash_tree(target.path(d)) for d in DATA_DIRS}
        if data_after != data_before:
            raise CheckFailed(f"the purge touched the user's data: before {data_before}, "
                              f"after {data_after}")
        print(f"      user data kept: {sum(len(v) for v in data_after.values())} files")


def step_portable(c: Checks) -> None:
    if c.tarball is None:
        return
    target = c.target
    with c.step(f"7. portable {c.tarball.name}: --version and --selftest as the test user"):
        tar_in = target.copy_in(c.tarball, TMP_IN)
        unpack_dir = target.user_sh(
            f'd=$(mktemp -d /tmp/pennant-portable.XXXXXX) && tar -xzf {tar_in} -C "$d" '
            '&& echo "$d"', timeout=300, log="untar-portable").out.strip().splitlines()[-1]
        try:
            portable_checks(target, unpack_dir, c.version)
        finally:
            if not target.chroot:
                shutil.rmtree(unpack_dir, ignore_errors=True)


STEPS = (step_sizes, step_prepare, step_install, step_layout, step_version, step_screenshot,
         step_selftest_without_keyring, step_test_tools, step_selftest, step_desktop,
         step_data_location, step_upgrade, step_purge, step_portable)


def run_test(target: Target, report: Report, deb: Path, tarball: Path | None) -> None:
    full_version = tr.deb_field(deb, "Version")
    host_tmp = target.path(TMP_IN)
    if host_tmp.exists():
        shutil.rmtree(host_tmp)
    host_tmp.mkdir(parents=True)
    host_tmp.chmod(0o755)
    work = Path(tempfile.mkdtemp(prefix="bump-", dir=tr.WORK))
    checks = Checks(target, report, deb, tarball, full_version, tr.upstream_version(full_version),
                    work)
    try:
        for step in STEPS:
            step(checks)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not target.chroot:
            shutil.rmtree(host_tmp, ignore_errors=True)


# ------------------------------------------------------------------------------------ checks
def portable_checks(target: Target, unpack_dir: str, version: str) -> None:
    candidates = [p for pattern in ("pennant", "*/pennant")
                  for p in sorted(target.path(unpack_dir).glob(pattern))
                  if p.is_file() and os.access(p, os.X_OK)]
    if len(candidates) != 1:
        raise CheckFailed(f"expected one executable pennant at the top of the tarball "
                          f"(or one directory down), found {candidates}")
    exe = unpack_dir + "/" + str(candidates[0].relative_to(target.path(unpack_dir)))
    print(f"      {exe}")
    check_version_output(target, exe, version, "portable-version")
    keyring_selftest(target, exe, "portable-selftest", 6, f"{exe} --selftest")
    print("      (ran with the system libraries the .deb's Depends installed; "
          "apt-get purge does not remove them)")


def check_layout(target: Target) -> None:
    launcher = target.path("/usr/bin/pennant")
    if not os.path.lexists(launcher):
        raise CheckFailed("/usr/bin/pennant does not exist")
    problems = []
    texts: dict[str, str] = {}
    if launcher.is_symlink():
        link = os.readlink(launcher)
        real = target.path(link if link.startswith("/") else "/usr/bin/" + link)
        print(f"      /usr/bin/pennant -> {link}")
        if not real.resolve().is_relative_to(target.path("/opt/pennant").resolve()):
            problems.append(f"/usr/bin/pennant points to {link}, not into /opt/pennant")
        target_file = real
    else:
        target_file = launcher
    if not target_file.is_file() or not os.access(target_file, os.X_OK):
        problems.append(f"the launcher {target_file} is not an executable file")
    else:
        head = target_file.read_bytes()[:4]
        if head.startswith(b"#!"):
            texts["launcher script"] = target_file.read_text(errors="replace")
        elif head != b"\x7fELF":
            problems.append(f"the launcher is neither a script nor an ELF ({head!r})")
    desktop = target.path("/usr/share/applications/pennant.desktop")
    if desktop.is_file():
        texts["desktop entry"] = desktop.read_text(errors="replace")
    else:
        problems.append("/usr/share/applications/pennant.desktop is missing")
    for what, text in texts.items():
        for word in SANDBOX_OFF:
            if word in text:
                problems.append(f"the {what} contains {word}: the shipped app must keep "
                                "Chromium's sandbox")
    if problems:
        raise CheckFailed("; ".join(problems))


def check_desktop_and_icons(target: Target) -> None:
    res = target.root_run(["desktop-file-validate", "/usr/share/applications/pennant.desktop"],
                          timeout=60, check=False, log="desktop-file-validate")
    problems = []
    # its verdict is the exit status (errors); warnings and hints are shown, not failed on
    if res.code != 0 or re.search(r"(?m): error: ", res.out):
        problems.append(f"desktop-file-validate exit {res.code}:\n{tr.tail(res.out)}")
    elif res.out.strip():
        tr.show(res.out)
    desktop = target.path("/usr/share/applications/pennant.desktop").read_text()
    entry = dict(re.findall(r"(?m)^([A-Za-z]+)=(.*)$", desktop))
    exec_cmd = entry.get("Exec", "").split()[:1]
    if exec_cmd not in (["pennant"], ["/usr/bin/pennant"]):
        problems.append(f"Exec={entry.get('Exec')!r} does not start the installed launcher")
    icon = entry.get("Icon", "")
    hicolor = target.path("/usr/share/icons/hicolor")
    found = sorted(str(p.relative_to(hicolor)) for p in hicolor.glob(f"*/apps/{icon}.*")) \
        if icon and "/" not in icon else []
    for icon_rel in found:
        data = (hicolor / icon_rel).read_bytes()
        if icon_rel.endswith(".png") and not data.startswith(PNG_MAGIC):
            problems.append(f"{icon_rel} is not a PNG")
        if icon_rel.endswith(".png"):
            w, h = png_size(data)
            if icon_rel.split("/")[0] != f"{w}x{h}":
                problems.append(f"{icon_rel} is {w}x{h}")
    print(f"      Icon={icon}: {', '.join(r.split('/')[0] for r in found) or 'none'}")
    if f"48x48/apps/{icon}.png" not in found:
        problems.append(f"no hicolor/48x48/apps/{icon}.png (the size every theme falls back to)")
    if problems:
        raise CheckFailed("\n      ".join(problems))


def left_after_purge(target: Target, paths: list[str],
                     owners: dict[str, set[str]]) -> tuple[list[str], list[str]]:
    """(packaged paths still there that should be gone, shared directories rightly kept)."""
    left: list[str] = []
    kept_shared: list[str] = []
    for p in paths:
        if not os.path.lexists(target.path(p)):
            continue
        shared = p in SHARED_DIRS or SHARED_DIR_RE.match(p) or owners.get(p, set()) - {PACKAGE}
        (kept_shared if shared and target.path(p).is_dir() else left).append(p)
    for must_go in ("/opt/pennant", "/usr/bin/pennant"):
        if os.path.lexists(target.path(must_go)) and must_go not in left:
            left.append(must_go)
    return left, kept_shared


# ------------------------------------------------------------------------------------ main
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("chroot", "host"), default="chroot",
                        help="chroot (default): a fresh debootstrap root under build/pkgtest; "
                             f"host: install into this system (only with {tr.HOST_ENV}=1)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the test root (build/pkgtest/root) for inspection")
    parser.add_argument("deb", type=Path, help="the .deb to test (dist/pennant_*_amd64.deb)")
    parser.add_argument("tarball", type=Path, nargs="?",
                        help="the portable tarball (dist/pennant-*-linux-x86_64.tar.gz)")
    return parser.parse_args(argv)


def preflight(mode: str, deb: Path, tarball: Path | None, report: Report) -> None:
    """Refuse early (nothing touched yet) unless everything the run needs is here."""
    if mode == "host":
        tr.check_host_allowed(PACKAGE, TEST_TOOLS)
    for path in filter(None, (deb, tarball)):
        if not path.is_file():
            raise Refused(f"{path} does not exist")
    tr.check_can_run(mode)
    tr.WORK.mkdir(parents=True, exist_ok=True)
    if tr.LOGS.exists():
        shutil.rmtree(tr.LOGS)
    SCREENSHOT_OUT.unlink(missing_ok=True)
    deb_size = deb.stat().st_size
    report.stats["deb"] = f"{tr.mib(deb_size)} ({deb_size} bytes)"
    info = tr.run(["dpkg-deb", "--info", str(deb)], timeout=120, check=False, log="deb-info")
    if info.code != 0 or tr.deb_field(deb, "Package") != PACKAGE:
        raise Refused(f"{deb} is not a readable {PACKAGE} .deb (still being written?):\n"
                      f"{tr.tail(info.out, 5)}")
    print(f"package test ({mode} mode): {deb.name} {tr.mib(deb_size)}"
          + (f", {tarball.name} {tr.mib(tarball.stat().st_size)}" if tarball else ""))


def run_host(report: Report, deb: Path, tarball: Path | None, keep: bool) -> None:
    print(f"      host mode ({tr.HOST_ENV}=1): installing into the running system")
    with tr.host_target(PACKAGE, keep) as target:
        run_test(target, report, deb, tarball)


def run_chroot(report: Report, deb: Path, tarball: Path | None, keep: bool) -> None:
    with report.step("clean Debian 12 root (debootstrap --variant=minbase, cached)", fatal=True):
        root = tr.fresh_root(report.stats)
    with tr.chroot_target(root, keep) as target:
        run_test(target, report, deb, tarball)


def print_summary(report: Report, mode: str, total: float) -> int:
    print("\nsummary")
    print(f"  .deb               {report.stats.get('deb', '?')}")
    print(f"  installed          {report.stats.get('installed_size', '?')}")
    print(f"  Depends pulled in  {report.stats.get('depends_pulled', '?')} packages")
    root = report.stats.get("root", "host system" if mode == "host" else "?")
    print(f"  test root          {root}")
    slow = sorted(report.steps, key=lambda s: -s[2])[:4]
    print("  slowest steps      " + "; ".join(f"{n.split(':')[0][:40]} {s:.0f} s"
                                               for n, _, s, _ in slow))
    print(f"  total              {total:.0f} s ({total / 60:.1f} min)")
    print(f"  logs               {tr.rel(tr.LOGS)}/")
    if report.failed:
        print(f"FAILED: {len(report.failed)} of {len(report.steps)} steps:")
        for name in report.failed:
            print(f"  - {name}")
        return 1
    print(f"PASSED: all {len(report.steps)} steps")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    # SIGTERM/SIGHUP end the run like Ctrl-C: the finally blocks unmount and clean up
    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    started = time.monotonic()
    report = Report()
    try:
        deb = args.deb.resolve()
        tarball = args.tarball.resolve() if args.tarball else None
        preflight(args.mode, deb, tarball, report)
        (run_host if args.mode == "host" else run_chroot)(report, deb, tarball, args.keep)
    except Refused as exc:
        print(f"package test: {exc}", file=sys.stderr)
        return 2
    except CheckFailed as exc:
        if not report.failed:  # failed outside any step: still a failure, never "PASSED"
            print(f"FAIL  {exc}")
            report.steps.append(("set-up", False, 0.0, str(exc)))
    except KeyboardInterrupt as exc:
        busy = tr.mounted_under(tr.ROOT.resolve())
        print(f"\npackage test: interrupted ({str(exc) or 'Ctrl-C'}); "
              + (f"STILL MOUNTED: {', '.join(busy)}" if busy else "nothing left mounted"),
              file=sys.stderr)
        return 130
    return print_summary(report, args.mode, time.monotonic() - started)


if __name__ == "__main__":
    sys.exit(main())
