"""One place for the version: pyproject.toml, read by the spec and every installer script."""

from __future__ import annotations

from pathlib import Path

import pytest
from meta import ROOT, Meta, main, read_meta  # type: ignore[import-not-found]


def _project(tmp_path: Path, version: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "pennant"\nversion = "{version}"\ndescription = "d"\n')
    return tmp_path


def test_the_version_is_pyprojects(tmp_path: Path) -> None:
    assert read_meta(_project(tmp_path, "2.10.3")).version == "2.10.3"
    assert read_meta(ROOT).name == "pennant"


@pytest.mark.parametrize(("version", "numbers"), [
    ("0.1.0", (0, 1, 0, 0)),
    ("2.10", (2, 10, 0, 0)),
    ("1.2.3.4.5", (1, 2, 3, 4)),
    # a pre-release must not sort after its release in Windows' four numbers
    ("1.2.3rc1", (1, 2, 3, 0)),
    ("1.2.3.post2+local.7", (1, 2, 3, 0)),
])
def test_four_numbers_are_the_release_only(version: str, numbers: tuple[int, ...]) -> None:
    assert Meta("pennant", version, "d").numeric_version == numbers


@pytest.mark.parametrize("version", ["", "v1.0", "latest", "1.0 beta"])
def test_a_version_that_is_no_release_number_is_refused(tmp_path: Path, version: str) -> None:
    with pytest.raises(SystemExit, match="not a release number"):
        read_meta(_project(tmp_path, version))


def test_the_command_prints_one_field(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["numeric_version"]) == 0
    assert capsys.readouterr().out.strip().count(".") == 3
    assert main(["colour"]) == 2
