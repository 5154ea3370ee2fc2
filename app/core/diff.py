"""Keyed diffs: what changed between two snapshots of rows that have a stable key.

Table models apply a diff as row removals, in-place changes and appends, so a poll never resets
a view (selection, scroll position and sort survive).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class KeyedDiff(Generic[K, V]):
    """``removed`` keys, ``changed`` rows (same key, new value) and ``added`` rows, in the order
    of the new snapshot. ``reset`` is True for a first snapshot (everything is ``added``)."""

    removed: tuple[K, ...] = ()
    changed: tuple[tuple[K, V], ...] = ()
    added: tuple[tuple[K, V], ...] = ()
    reset: bool = False

    @property
    def empty(self) -> bool:
        return not (self.removed or self.changed or self.added or self.reset)

    def __len__(self) -> int:
        return len(self.removed) + len(self.changed) + len(self.added)


def keyed_diff(old: Mapping[K, V], new: Mapping[K, V]) -> KeyedDiff[K, V]:
    """The diff that turns ``old`` into ``new`` (values compared with ``==``)."""
    removed = tuple(k for k in old if k not in new)
    changed = []
    added = []
    for key, value in new.items():
        if key not in old:
            added.append((key, value))
        elif old[key] != value:
            changed.append((key, value))
    return KeyedDiff(removed, tuple(changed), tuple(added))


async def keyed_diff_sliced(old: Mapping[K, V], new: Mapping[K, V],
                            slice_size: int = 500) -> KeyedDiff[K, V]:
    """``keyed_diff`` for large snapshots, letting the event loop run between slices of rows
    (comparing 2,000 positions takes ~7 ms: too long to hold the window in one piece). The
    mappings must not change while it runs."""
    removed = tuple(k for k in old if k not in new)
    changed = []
    added = []
    for n, (key, value) in enumerate(new.items(), start=1):
        if key not in old:
            added.append((key, value))
        elif old[key] != value:
            changed.append((key, value))
        if n % slice_size == 0:
            await asyncio.sleep(0)
    return KeyedDiff(removed, tuple(changed), tuple(added))


def snapshot_diff(new: Mapping[K, V]) -> KeyedDiff[K, V]:
    """A first snapshot: every row added, flagged as a reset so the view replaces its rows."""
    return KeyedDiff(added=tuple(new.items()), reset=True)


def index_by(rows: Iterable[V], key: Callable[[V], K]) -> dict[K, V]:
    """Rows keyed by ``key``; a repeated key keeps the last row (Webull should never repeat)."""
    return {key(row): row for row in rows}
