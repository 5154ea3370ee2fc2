"""A local Webull simulator: the Connect OAuth pages and token endpoint, the Trading API read
endpoints, the order endpoints with a matching engine (orders.py, orders_api.py), a seeded
market and fault injection, on a real HTTP server over loopback.

Standalone: ``python -m app.sim --seed 7`` (prints one JSON line with the URLs and credentials).
In-process: ``SimServer`` (see server.py). Imports neither Qt nor app.core/app.ui.
"""

from .clock import Clock, ManualClock, SystemClock
from .config import SimConfig
from .faults import Fault, FaultKind, Faults
from .server import SimInfo, SimServer
from .state import DemoUser

__all__ = [
    "Clock", "DemoUser", "Fault", "FaultKind", "Faults", "ManualClock", "SimConfig", "SimInfo",
    "SimServer", "SystemClock",
]
