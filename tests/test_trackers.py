"""Rasa's trackers do not pile up: idle ones expire and there is a cap (bot/weibo/trackers.py)."""

from __future__ import annotations

import asyncio

import pytest

from bot.serve import endpoints_yaml
from bot.settings import Settings
from bot.weibo.trackers import evict


def test_idle_and_surplus_trackers_are_evicted_oldest_first():
    store = {"a": "1", "b": "2", "c": "3"}
    saved = {"a": 0.0, "b": 50.0, "c": 100.0}
    assert evict(store, saved, now=100.0, ttl_seconds=60, max_trackers=10) == 1  # "a" idle for 100 s
    assert list(store) == ["b", "c"]
    assert evict(store, saved, now=100.0, ttl_seconds=60, max_trackers=1) == 1  # over the cap
    assert list(store) == ["c"] and list(saved) == ["c"]


@pytest.fixture
def clock():
    class Clock:
        now = 0.0

        def __call__(self) -> float:
            return self.now

    return Clock()


def test_rasa_builds_the_store_from_our_endpoints_and_it_forgets_idle_fans(tmp_path, clock):
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import read_endpoint_config

    path = tmp_path / "endpoints.yml"
    path.write_text(endpoints_yaml(Settings.from_env({"BOT_TRACKER_TTL_HOURS": "1"})), encoding="utf-8")
    store = TrackerStore.create(read_endpoint_config(str(path), "tracker_store"), Domain.empty())
    assert type(store).__name__ == "ExpiringTrackerStore" and store.ttl_seconds == 3600
    store._clock = clock

    async def run() -> tuple:
        for fan in ("dm-1", "dm-2"):
            await store.save(DialogueStateTracker.from_events(fan, [UserUttered("你好")]))
            clock.now += 1800
        # dm-1 was saved 3600 s ago, dm-2 1800 s ago: saving a third forgets only dm-1 ...
        clock.now += 1
        await store.save(DialogueStateTracker.from_events("dm-3", [UserUttered("在吗")]))
        return await store.retrieve("dm-1"), await store.retrieve("dm-2"), sorted(await store.keys())

    first, second, keys = asyncio.run(run())
    assert first is None and second is not None and keys == ["dm-2", "dm-3"]
