"""The clean-root machinery of package_test.py: a cached Debian 12 debootstrap root under
build/pkgtest/, the bind mounts it needs, the target (that chroot or this system) commands run
in, and small helpers for looking at files and packages in it.

Every command runs in its own process group with a timeout and a minimal environment; its
output is kept in build/pkgtest/logs/. Nothing is deleted outside build/ and nothing is deleted
while anything is mounted under it. Python 3.11 standard library only.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "build"
WORK = BUILD / "pkgtest"
CACHE = WORK / "bookworm-minbase.tar"
ROOT = WORK / "root"
LOGS = WORK / "logs"
MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"
CACHE_MAX_AGE = 7 * 24 * 3600
MOUNTS = ("proc", "sys", "dev", "dev/pts", "dev/shm")
CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# host mode changes the live system: it runs only with this set to 1 in the environment
HOST_ENV = "PENNANT_PACKAGE_TEST_HOST"

# the unprivileged user the app runs as
USER = "trader"
HOME = f"/home/{USER}"


class CheckFailed(Exception):
    """A check did not pass; the message says what was expected and what happened."""


class Refused(Exception):
    """The test cannot or must not run here (not root, unsafe path, missing tool)."""


# ------------------------------------------------------------------------------------ processes
@dataclass
class Result:
    cmd: list[str]
    code: int
    out: str
    seconds: float


_log_counter = 0


def tail(text: str, lines: int = 40) -> str:
    return "\n".join("      | " + line for line in text.rstrip().splitlines()[-lines:])


def show(out: str, lines: int = 30) -> None:
    for line in out.rstrip().splitlines()[-lines:]:
        print(f"      > {line}")


def rel(path: Path) -> str:
    """``path`` relative to the repository, for messages."""
    with contextlib.suppress(ValueError):
        return str(path.relative_to(REPO))
    return str(path)


def mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def run(cmd: Sequence[str], *, timeout: float, env: dict[str, str] | None = None,
        input: str | None = None, check: bool = True, log: str = "cmd") -> Result:
    """Run ``cmd`` in its own process group with a timeout (the whole group is killed on a
    timeout or Ctrl-C); stdout+stderr are captured and kept in build/pkgtest/logs/."""
    global _log_counter
    _log_counter += 1
    cmd = [str(c) for c in cmd]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace", env=env if env is not None else _clean_env(),
                            start_new_session=True)
    timed_out = False
    try:
        out, _ = proc.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _killpg(proc.pid)
        out, _ = proc.communicate()
    except BaseException:
        _killpg(proc.pid)
        proc.wait()
        raise
    seconds = time.monotonic() - started
    LOGS.mkdir(parents=True, exist_ok=True)
    logfile = LOGS / f"{_log_counter:03d}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', log)[:60]}.log"
    logfile.write_text(f"$ {shlex.join(cmd)}\n# exit {proc.returncode}, {seconds:.1f} s"
                       f"{', TIMED OUT' if timed_out else ''}\n{out}")
    result = Result(cmd, proc.returncode, out, seconds)
    if timed_out:
        raise CheckFailed(f"timed out after {timeout:.0f} s: {shlex.join(cmd)}\n"
                          f"{tail(out)}\n      full output: {rel(logfile)}")
    if check and proc.returncode != 0:
        raise CheckFailed(f"exit {proc.returncode}: {shlex.join(cmd)}\n{tail(out)}\n"
                          f"      full output: {rel(logfile)}")
    return result


def _killpg(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _clean_env(**extra: str) -> dict[str, str]:
    """A minimal environment: nothing from the caller's (the venv, CI variables, XDG dirs)
    leaks into the test root."""
    env = {"PATH": CLEAN_PATH, "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive"}
    env.update(extra)
    return env


def _mountpoints() -> list[str]:
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        for line in fh:
            raw = line.split()[4]
            points.append(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), raw))
    return points


def mounted_under(path: Path) -> list[str]:
    prefix = str(path)
    return [p for p in _mountpoints() if p == prefix or p.startswith(prefix + "/")]


# ------------------------------------------------------------------------------------ targets
class Target:
    """Where the package is installed: a chroot (root is a directory) or this system."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.uid: int | None = None
        self.created_user = False

    @property
    def chroot(self) -> bool:
        return self.root is not None

    def path(self, inside: str) -> Path:
        """The host path of ``inside`` (an absolute path in the target)."""
        return self.root / inside.lstrip("/") if self.root else Path(inside)

    def argv(self, argv: Sequence[str]) -> list[str]:
        return ["chroot", str(self.root), *argv] if self.root else list(argv)

    def root_run(self, argv: Sequence[str], *, timeout: float, check: bool = True,
                 log: str = "root", input: str | None = None) -> Result:
        return run(self.argv(argv), timeout=timeout, check=check, log=log, input=input)

    def user_sh(self, script: str, *, timeout: float, check: bool = True, log: str = "user",
                input: str | None = None) -> Result:
        """Run a shell script as the test user with a clean login-like environment."""
        env = [
            f"HOME={HOME}", f"USER={USER}", f"LOGNAME={USER}", "SHELL=/bin/sh",
            "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8",
            f"XDG_RUNTIME_DIR=/run/user/{self.uid}",
            "QT_QPA_PLATFORM=offscreen",
            # Test only: Chromium's sandbox needs an unprivileged user namespace, which it
            # cannot create inside a chroot (and often not in a container). The shipped launcher
            # and desktop entry never set this -- package_test.check_layout() asserts that.
            "QTWEBENGINE_DISABLE_SANDBOX=1",
        ]
        argv = ["runuser", "-u", USER, "--", "env", "-i", *env, "sh", "-c", script]
        return run(self.argv(argv), timeout=timeout, check=check, log=log, input=input)

    def keyring_sh(self, command: str, *, timeout: float, check: bool = True,
                   log: str = "keyring") -> Result:
        """``command`` inside a private D-Bus session with GNOME Keyring unlocked, the way
        .ci/secretservice-test runs the keychain tests (gnome-keyring needs a password to
        create its login keyring, so a test one unlocks it)."""
        script = ("exec dbus-run-session -- sh -c '"
                  "printf %s pkgtest-pw | gnome-keyring-daemon --unlock --components=secrets "
                  ">/dev/null && exec \"$@\"' keyring " + command)
        return self.user_sh(script, timeout=timeout, check=check, log=log)

    def configure_chroot(self) -> None:
        """Network and apt set-up of a fresh debootstrap root."""
        resolv = self.path("/etc/resolv.conf")
        resolv.unlink(missing_ok=True)  # a symlink there would point into the host's /run
        shutil.copyfile("/etc/resolv.conf", resolv)
        # no services start inside the chroot (dbus' postinst would try)
        policy = self.path("/usr/sbin/policy-rc.d")
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
        # the archives a default Debian 12 install uses (debootstrap writes only the first)
        self.path("/etc/apt/sources.list").write_text(
            f"deb {MIRROR} {SUITE} main\n"
            f"deb {MIRROR} {SUITE}-updates main\n"
            f"deb {MIRROR}-security {SUITE}-security main\n")

    def user_exists(self) -> bool:
        return self.root_run(["getent", "passwd", USER], timeout=30, check=False,
                             log="getent").code == 0

    def add_user(self) -> None:
        self.root_run(["useradd", "--create-home", "--shell", "/bin/sh", USER], timeout=60,
                      log="useradd")
        self.created_user = True

    def init_user_session(self) -> None:
        """Look up the test user's uid and make its XDG_RUNTIME_DIR (/run/user/UID)."""
        self.uid = int(self.root_run(["id", "-u", USER], timeout=30, log="id").out.strip())
        runtime = self.path(f"/run/user/{self.uid}")
        runtime.mkdir(parents=True, exist_ok=True)
        os.chown(runtime, self.uid, self.uid)
        runtime.chmod(0o700)

    def copy_in(self, src: Path, folder: str) -> str:
        """Copy a host file into ``folder`` in the target, readable by all; its path there."""
        inside = f"{folder}/{src.name}"
        shutil.copy2(src, self.path(inside))
        self.path(inside).chmod(0o644)
        return inside

    def dpkg_status(self, package: str) -> str:
        """e.g. 'ii  0.1.0-1' (dpkg's status abbreviation and the installed version)."""
        return self.root_run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev} ${Version}",
                              package], timeout=30, log="dpkg-status").out.strip()

    def dir_owners(self, paths: Sequence[str]) -> dict[str, set[str]]:
        """For each directory in ``paths``, the packages dpkg says own it."""
        owners = {}
        for p in paths:
            if self.path(p).is_dir() and not self.path(p).is_symlink():
                q = self.root_run(["dpkg-query", "-S", p], timeout=60, check=False,
                                  log="dpkg-S").out
                owners[p] = {o.strip() for line in q.splitlines() if ": " in line
                             for o in line.rsplit(": ", 1)[0].split(",")}
        return owners

    def find_named(self, word: str) -> list[str]:
        """Up to 30 paths whose name contains ``word`` (outside home, temp, logs and apt's
        caches; in host mode only under /opt, /usr, /etc and dpkg's info), e.g. an icon cache
        or a file a maintainer script made that survived a purge."""
        tops = ["/opt", "/usr", "/etc", "/var/lib/dpkg/info"] if not self.chroot else ["/"]
        skip = {"/home", "/tmp", "/proc", "/sys", "/dev", "/run", "/var/log", "/var/cache/apt",
                "/var/lib/apt/lists", "/root"}
        found = []
        for top in tops:
            for dirpath, dirnames, filenames in os.walk(self.path(top)):
                inner = Path(dirpath).relative_to(self.path("/")).as_posix()
                inside = "" if inner == "." else "/" + inner
                dirnames[:] = [d for d in dirnames if f"{inside}/{d}" not in skip]
                found += [f"{inside}/{name}" for name in dirnames + filenames
                          if word in name.lower()]
        return found[:30]

    def installed_packages(self) -> set[str]:
        out = self.root_run(["dpkg-query", "-W", "-f", "${Package}\\t${db:Status-Abbrev}\\n"],
                            timeout=60, log="dpkg-query").out
        return {line.split("\t")[0] for line in out.splitlines()
                if "\t" in line and line.split("\t")[1].startswith("ii")}


def kill_processes_in(root: Path) -> list[int]:
    """SIGTERM, then SIGKILL, every process whose root directory is ``root`` (daemons the test
    started inside the chroot, e.g. gnome-keyring-daemon); they would keep the mounts busy."""
    def inside() -> list[int]:
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            with contextlib.suppress(OSError):
                link = os.readlink(f"/proc/{entry}/root")
                if link == str(root) or link.startswith(str(root) + "/"):
                    pids.append(int(entry))
        return pids

    found = inside()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in inside():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 5
        while inside() and time.monotonic() < deadline:
            time.sleep(0.2)
        if not inside():
            break
    return found


def kill_user_processes(uid: int) -> list[int]:
    """Host mode: end the test user's leftover processes (its keyring daemon), by pid."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    pids.append(int(entry))
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    return pids


# ------------------------------------------------------------------------------------ may we run?
def check_host_allowed(package: str, tools: Sequence[str]) -> None:
    """Host mode installs into the live system: refuse unless PENNANT_PACKAGE_TEST_HOST=1."""
    if os.environ.get(HOST_ENV) != "1":
        raise Refused(
            f"host mode would install {package} and its Depends into THIS live system "
            f"(/opt/{package}, /usr/bin/{package}, /usr/share/...), add the user {USER} and the "
            f"test tools ({' '.join(tools)}), then upgrade and purge {package}. It runs only on "
            f"a throw-away machine: allow it with {HOST_ENV}=1 in the environment (the release "
            "workflow sets it); anywhere else use the default chroot mode.")


def check_can_run(mode: str) -> None:
    """Root, and the tools the mode needs."""
    if os.geteuid() != 0:
        mounts = " and mounts /proc, /sys, /dev into a chroot" if mode == "chroot" else ""
        raise Refused(f"{mode} mode needs root (it installs packages{mounts})")
    for tool in ("dpkg-deb", "dpkg", "runuser", "tar", "du") + \
            (("chroot", "mount", "umount") if mode == "chroot" else ("apt-get",)):
        if shutil.which(tool, path=CLEAN_PATH) is None:
            raise Refused(f"{tool} is not installed")


# ------------------------------------------------------------------------------------ chroot setup
def check_safe_root(root: Path) -> Path:
    resolved = root.resolve()
    build = BUILD.resolve()
    if resolved == Path("/") or resolved == build or build not in resolved.parents:
        raise Refused(f"refusing to use {resolved} as the test root: it must be inside {build}")
    return resolved


def remove_tree(path: Path) -> None:
    """rm -rf a test root, never while anything is mounted under it (that would delete the
    host's /dev through the bind mount)."""
    path = check_safe_root(path)
    if not path.exists():
        return
    busy = mounted_under(path)
    if busy:
        raise Refused(f"not removing {path}: still mounted: {', '.join(busy)}")
    run(["rm", "-rf", "--one-file-system", str(path)], timeout=300, log="rm-root")


def ensure_debootstrap() -> None:
    if shutil.which("debootstrap", path=CLEAN_PATH):
        return
    if shutil.which("apt-get", path=CLEAN_PATH) is None:
        raise Refused("debootstrap is not installed and there is no apt-get to install it")
    print("      debootstrap is missing: apt-get install debootstrap")
    run(["apt-get", "install", "-y", "--no-install-recommends", "debootstrap"], timeout=600,
        log="install-debootstrap")


def prepare_cache(stats: dict[str, str]) -> None:
    """Make build/pkgtest/bookworm-minbase.tar unless a fresh one (< 7 days) is there."""
    if CACHE.exists() and time.time() - CACHE.stat().st_mtime < CACHE_MAX_AGE:
        age_h = (time.time() - CACHE.stat().st_mtime) / 3600
        stats["root"] = f"cached {rel(CACHE)} ({age_h:.1f} h old)"
        print(f"      reusing {rel(CACHE)} ({age_h:.1f} h old, {CACHE.stat().st_size >> 20} MiB)")
        return
    ensure_debootstrap()
    tmp = check_safe_root(WORK / "bootstrap")
    remove_tree(tmp)
    started = time.monotonic()
    try:
        run(["debootstrap", "--variant=minbase", SUITE, str(tmp), MIRROR], timeout=1800,
            log="debootstrap")
        elapsed = time.monotonic() - started
        busy = mounted_under(tmp)
        if busy:
            raise Refused(f"debootstrap left mounts behind: {', '.join(busy)}")
        part = CACHE.with_suffix(".tar.part")
        run(["tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", str(tmp),
             "-cpf", str(part), "."], timeout=600, log="tar-cache")
        part.replace(CACHE)
    finally:
        if not mounted_under(tmp):
            remove_tree(tmp)
    stats["root"] = f"cold debootstrap {elapsed:.0f} s"
    print(f"      debootstrap --variant=minbase {SUITE}: {elapsed:.1f} s; cached as "
          f"{rel(CACHE)} ({CACHE.stat().st_size >> 20} MiB)")


def unpack_root() -> Path:
    root = check_safe_root(ROOT)
    remove_tree(root)
    root.mkdir(parents=True)
    run(["tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", str(root), "-xpf",
         str(CACHE)], timeout=600, log="untar-root")
    return root


def fresh_root(stats: dict[str, str]) -> Path:
    """A freshly unpacked copy of the cached minbase root (made first if needed)."""
    prepare_cache(stats)
    started = time.monotonic()
    root = unpack_root()
    print(f"      unpacked into {rel(root)} in {time.monotonic() - started:.1f} s")
    return root


@contextlib.contextmanager
def chroot_target(root: Path, keep: bool) -> Iterator[Target]:
    """The chroot at ``root`` with its mounts; afterwards unmounted and (unless ``keep``)
    removed."""
    try:
        with mounted(root):
            yield Target(root)
    finally:
        if keep:
            print(f"      kept {rel(root)} (unmounted)")
        elif not mounted_under(root):
            remove_tree(root)


@contextlib.contextmanager
def host_target(package: str, keep: bool) -> Iterator[Target]:
    """This system as the target; afterwards the test user's processes are ended and (unless
    ``keep``) a test user the run created is removed again."""
    if run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}", package], timeout=30,
           check=False, log="host-installed").out.startswith("ii"):
        raise Refused(f"{package} is already installed here; the test would purge it")
    target = Target(None)
    try:
        yield target
    finally:
        if target.uid is not None:
            kill_user_processes(target.uid)
        if target.created_user and not keep:
            run(["userdel", "--remove", USER], timeout=60, check=False, log="userdel")


@contextlib.contextmanager
def mounted(root: Path) -> Iterator[None]:
    """Bind-mount /proc, /sys, /dev, /dev/pts, /dev/shm into the root; always unmount."""
    done: list[Path] = []
    try:
        for name in MOUNTS:
            dst = root / name
            dst.mkdir(parents=True, exist_ok=True)
            run(["mount", "--bind", f"/{name}", str(dst)], timeout=30, log=f"mount-{name}")
            done.append(dst)
        yield
    finally:
        kill_processes_in(root)
        for dst in reversed(done):
            for _attempt in range(3):
                if subprocess.run(["umount", str(dst)], check=False, capture_output=True,
                                  timeout=30).returncode == 0:
                    break
                time.sleep(1)
            else:
                # detach it so that nothing can reach the host's /dev through the root any more
                subprocess.run(["umount", "--lazy", str(dst)], check=False, capture_output=True,
                               timeout=30)
        left = mounted_under(root)
        if left:
            print(f"WARNING: still mounted under {root}: {', '.join(left)} -- unmount by hand "
                  "before deleting it", file=sys.stderr)


# ------------------------------------------------------------------------------------ looking
def tree_snapshot(top: Path) -> dict[str, tuple]:
    """Every entry under ``top``: type, mode, size, mtime, link target (a change shows up)."""
    snap: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            full = Path(dirpath, name)
            st = full.lstat()
            link = os.readlink(full) if full.is_symlink() else ""
            snap[str(full.relative_to(top))] = (st.st_mode, st.st_size, st.st_mtime_ns, link)
    st = top.lstat()
    snap["."] = (st.st_mode, st.st_mtime_ns)
    return snap


def hash_tree(top: Path) -> dict[str, str]:
    """sha256 (or symlink target) of every file under ``top``; {} if it does not exist."""
    hashes: dict[str, str] = {}
    if not top.exists():
        return hashes
    for dirpath, _, filenames in os.walk(top):
        for name in filenames:
            full = Path(dirpath, name)
            if full.is_symlink():
                hashes[str(full.relative_to(top))] = "symlink:" + os.readlink(full)
            elif full.is_file():
                hashes[str(full.relative_to(top))] = hashlib.sha256(full.read_bytes()).hexdigest()
    return hashes


def du(path: Path) -> tuple[int, int]:
    """(disk usage, apparent size) in bytes."""
    disk = int(run(["du", "-s", "--block-size=1", str(path)], timeout=120, log="du").out.split()[0])
    apparent = int(run(["du", "-sb", str(path)], timeout=120, log="du").out.split()[0])
    return disk, apparent


def deb_field(deb: Path, name: str) -> str:
    return run(["dpkg-deb", "-f", str(deb), name], timeout=60, log=f"deb-field-{name}").out.strip()


def upstream_version(version: str) -> str:
    """0.1.0 from 0.1.0, 0.1.0-1 or 1:0.1.0-1 (no epoch, no Debian revision)."""
    version = version.split(":", 1)[1] if re.match(r"^\d+:", version) else version
    return version.rsplit("-", 1)[0] if "-" in version else version


def bumped_deb(deb: Path, version: str, workdir: Path) -> tuple[Path, str]:
    """A copy of ``deb`` whose control Version is ``version+pkgtest1`` and nothing else changed."""
    new_version = f"{version}+pkgtest1"
    tree = workdir / "unpacked"
    if tree.exists():
        shutil.rmtree(tree)
    run(["dpkg-deb", "-R", str(deb), str(tree)], timeout=600, log="deb-unpack")
    control = tree / "DEBIAN" / "control"
    text = control.read_text()
    new_text, count = re.subn(r"(?m)^Version: .*$", f"Version: {new_version}", text)
    if count != 1:
        raise CheckFailed(f"{deb.name}: DEBIAN/control has {count} Version: lines, expected 1")
    control.write_text(new_text)
    name = f"{deb_field(deb, 'Package')}_{new_version}_{deb_field(deb, 'Architecture')}.deb"
    out = workdir / name
    run(["dpkg-deb", "--root-owner-group", "-Zzstd", "-b", str(tree), str(out)], timeout=1200,
        log="deb-build-bumped")
    shutil.rmtree(tree)
    run(["dpkg", "--compare-versions", new_version, "gt", version], timeout=30, log="cmp-ver")
    return out, new_version
