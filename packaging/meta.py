"""Pennant's name, version and description for the installers, read from pyproject.toml (the one
place they are written). Imported by the PyInstaller spec and the build scripts; as a script it
prints one field: ``python packaging/meta.py version``."""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: the executable's name on every OS, and the Debian package's
EXECUTABLE = "pennant"
#: the name people see (window title, Start menu, .app bundle, desktop entry)
DISPLAY_NAME = "Pennant"
#: reverse-DNS identifier: macOS bundle id, and the id of the Linux AppStream file
BUNDLE_ID = "local.pennant.Pennant"
PUBLISHER = "Pennant"
HOMEPAGE = "https://pennant.local/"


@dataclass(frozen=True)
class Meta:
    name: str
    version: str
    description: str

    @property
    def numeric_version(self) -> tuple[int, int, int, int]:
        """The version as four integers, for Windows' version resource and Info.plist: the
        release numbers only (``1.2.3rc1`` gives 1.2.3.0; pre-release, post-release and local
        parts have no place in four numbers)."""
        release = re.match(r"\d+(?:\.\d+)*", self.version)
        numbers = [int(n) for n in release.group().split(".")][:4] if release else []
        return tuple((numbers + [0, 0, 0, 0])[:4])  # type: ignore[return-value]


def read_meta(root: Path = ROOT) -> Meta:
    with (root / "pyproject.toml").open("rb") as f:
        project = tomllib.load(f)["project"]
    version = project["version"]
    if not re.fullmatch(r"\d+(\.\d+)*([a-z0-9.+-]*)", version):
        raise SystemExit(f"pyproject.toml: version {version!r} is not a release number")
    return Meta(name=project["name"], version=version, description=project["description"])


def main(argv: list[str]) -> int:
    fields = {"name", "version", "description", "numeric_version"}
    if len(argv) != 1 or argv[0] not in fields:
        print(f"usage: meta.py {{{'|'.join(sorted(fields))}}}", file=sys.stderr)
        return 2
    value = getattr(read_meta(), argv[0])
    print(".".join(map(str, value)) if isinstance(value, tuple) else value)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
