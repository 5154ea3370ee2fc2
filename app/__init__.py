"""Pennant: a desktop trading terminal for Webull brokerage customers."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("pennant")
except _metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
