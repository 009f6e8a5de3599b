"""Rasa's trackers do not pile up: they live in the SQL database and idle ones expire
(bot/weibo/trackers.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
import yaml

from bot.serve import endpoints_yaml
from bot.settings import Settings
from bot.weibo.trackers import SqlTrackers


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_conversation_is_stored_replaced_and_forgotten_once_idle(factory):
    clock = Clock()
    store = SqlTrackers(factory.kw["bind"], ttl_seconds=3600, clock=clock)
    store["dm-1"] = '{"events": [1]}'
    store["dm-1"] = '{"events": [1, 2]}'
    clock.now += 1800
    store["dm-2"] = '{"events": []}'
    assert store["dm-1"] == '{"events": [1, 2]}' and len(store) == 2 and "dm-3" not in store
    clock.now += 1801  # dm-1 idle for 3601 s, dm-2 for 1801 s
    assert store.purge() == 1
    assert sorted(store) == ["dm-2"]


def test_a_lookup_after_a_membership_test_sees_a_write_made_between(factory):
    store = SqlTrackers(factory.kw["bind"], ttl_seconds=3600)
    store["dm-1"] = '{"events": [1]}'
    assert "dm-1" in store  # Rasa's order: a membership test, then the lookup ...
    store["dm-1"] = '{"events": [1, 2]}'  # ... and a write in between wins
    assert store["dm-1"] == '{"events": [1, 2]}'
    assert "dm-2" not in store
    with pytest.raises(KeyError):
        store["dm-2"]


def test_rasa_builds_the_store_from_our_endpoints_and_reads_back_a_tracker(tmp_path):
    from rasa.core.tracker_store import TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import read_endpoint_config

    settings = Settings.from_env({"BOT_TRACKER_TTL_HOURS": "1", "BOT_DATA_DIR": str(tmp_path)})
    path = tmp_path / "endpoints.yml"
    path.write_text(endpoints_yaml(settings), encoding="utf-8")
    assert yaml.safe_load(path.read_text())["tracker_store"]["db_url"] == f"sqlite:///{tmp_path / 'trackers.sqlite3'}"
    store = TrackerStore.create(read_endpoint_config(str(path), "tracker_store"), Domain.empty())
    assert type(store).__name__ == "SqlTrackerStore" and store.store.ttl_seconds == 3600

    async def run():
        await store.save(DialogueStateTracker.from_events("dm-7", [UserUttered("你好")]))
        return await store.retrieve("dm-7"), await store.retrieve("dm-8")

    found, missing = asyncio.run(run())
    assert found.latest_message.text == "你好" and missing is None
