"""The garbage-collector policy freezes survivors and periodically hands them back."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from app.ui.memory import GcPolicy


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_settle_freezes_what_survived(qapp: object) -> None:
    policy = GcPolicy()
    keep = [[i] for i in range(1000)]  # tracked, long-lived objects
    policy.settle()
    assert gc.get_freeze_count() >= len(keep)
    assert policy.freezes == 1


def test_every_so_often_everything_goes_back_to_the_collector(qapp: object) -> None:
    policy = GcPolicy(release_every_s=0.0)
    policy.settle()
    assert gc.get_freeze_count() == 0
    assert policy.freezes == 0
