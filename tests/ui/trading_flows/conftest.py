"""The acceptance flows share one simulator per module and a connected window (tests/ui/flows.py)."""

from tests.ui.flows import sim, window  # noqa: F401 - fixtures
