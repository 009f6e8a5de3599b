"""Background loops restart after a failure and the health report says when one is stale."""

from __future__ import annotations

import asyncio

import pytest

from bot.weibo.loops import Heartbeats, supervise


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_loop_without_a_pass_in_time_is_stale_and_a_new_pass_clears_it():
    clock = Clock()
    beats = Heartbeats(clock)
    beats.register("process", stale_after=30)
    beats.register("poll", stale_after=60)
    clock.now += 45
    assert beats.stale() == ["process"]
    beats.beat("process")
    assert beats.stale() == []
    assert beats.report()["poll"]["last_pass_seconds_ago"] == 45.0


def test_a_failing_loop_is_restarted_with_backoff_and_its_failures_are_counted():
    beats = Heartbeats()
    beats.register("deliver", 30)
    runs, pauses = [], []

    async def body() -> None:
        runs.append(1)
        if len(runs) < 3:
            raise RuntimeError("database is locked")
        raise asyncio.CancelledError  # the service stops

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(supervise("deliver", body, beats, sleep=sleep))
    assert len(runs) == 3 and pauses == [0.5, 1.0]
    assert beats.report()["deliver"]["restarts"] == 2
    assert "database is locked" in beats.report()["deliver"]["last_error"]


def test_the_health_check_is_503_while_starting_and_when_a_loop_is_stale():
    from types import SimpleNamespace

    from bot.weibo.channel import health_report

    clock = Clock()
    beats = Heartbeats(clock)
    beats.register("process", 30)
    beats.register("deliver", 30)
    service = SimpleNamespace(heartbeats=beats, ready=False, worker_id="host:1:abc")
    assert health_report(service)[1] == 503 and health_report(service)[0]["status"] == "starting"
    service.ready = True
    assert health_report(service)[1] == 200
    clock.now += 31
    beats.beat("process")  # the delivery loop is stuck
    body, status = health_report(service)
    assert (status, body["status"], body["stale_loops"]) == (503, "stale", ["deliver"])
