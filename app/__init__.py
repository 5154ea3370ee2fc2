"""Pennant: a desktop trading terminal for Webull brokerage customers."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # The version comes from the installed metadata (pyproject.toml is the one source). Looked up
    # on first use: importlib.metadata costs ~40 ms, which start-up does not need to pay.
    if name == "__version__":
        from importlib import metadata

        try:
            version = metadata.version("pennant")
        except metadata.PackageNotFoundError:  # a source tree that was never installed
            version = "0+unknown"
        globals()["__version__"] = version
        return version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
