"""Fixtures shared by the end-to-end tests: the trading rig against the simulator."""

from tests.e2e.trading_rig import _server, rig, sim  # noqa: F401 - fixtures
