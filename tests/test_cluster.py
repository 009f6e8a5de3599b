"""Several replicas: the plan of ports, the load balancer's configuration, the refusal of an
unshared store, a supervisor that restarts a dead replica, and the real run: 2 replicas behind
HAProxy on PostgreSQL and Redis, one killed with SIGKILL mid-stream."""

from __future__ import annotations

import sys

import pytest

from bot import cluster
from bot.errors import ConfigError
from bot.serve import Supervisor
from bot.settings import Settings

SHARED = {"BOT_DATABASE_URL": "postgresql://postgres@127.0.0.1/bot", "BOT_REDIS_URL": "redis://127.0.0.1:6379/0"}


def settings(**env) -> Settings:
    return Settings.from_env({"BOT_RASA_PORT": "5005", "BOT_REPLICA_PORTS_FROM": "5100", **env})


def test_each_replica_gets_its_own_rasa_actions_and_metrics_ports():
    ports = [(r.name, r.rasa_port, r.actions_port, r.metrics_port) for r in cluster.plan(settings(), 3)]
    assert ports == [("r0", 5100, 5101, 9105), ("r1", 5102, 5103, 9106), ("r2", 5104, 5105, 9107)]


@pytest.mark.parametrize("env, count, message", [
    ({}, 2, "BOT_DATABASE_URL"),
    ({"BOT_DATABASE_URL": SHARED["BOT_DATABASE_URL"]}, 2, "BOT_REDIS_URL"),
    ({**SHARED, "BOT_REPLICA_PORTS_FROM": "5004"}, 2, "BOT_REPLICA_PORTS_FROM"),
    (SHARED, 0, "at least 1"),
])
def test_several_replicas_refuse_a_store_they_cannot_share_or_colliding_ports(env, count, message):
    with pytest.raises(ConfigError, match=message):
        cluster.check_shared(settings(**env), count)


def test_one_replica_needs_nothing_shared():
    cluster.check_shared(settings(), 1)  # the README's default: SQLite, no Redis


def test_the_balancer_listens_on_the_public_port_and_checks_every_replica():
    config = cluster.haproxy_config(settings(BOT_PUBLIC_HOST="127.0.0.1"), cluster.plan(settings(), 2))
    assert "bind 127.0.0.1:5005" in config
    assert "server r0 127.0.0.1:5100 check" in config and "server r1 127.0.0.1:5102 check" in config
    assert "option httpchk GET /webhooks/weibo/" in config


def test_the_rendered_configuration_is_valid_for_haproxy(tmp_path):
    import subprocess

    path = tmp_path / "haproxy.cfg"
    path.write_text(cluster.haproxy_config(settings(), cluster.plan(settings(), 2)), encoding="utf-8")
    checked = subprocess.run([cluster.haproxy_binary(), "-c", "-f", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_replica_that_dies_is_started_again_and_another_child_that_exits_stops_the_wait(monkeypatch):
    monkeypatch.setattr(Supervisor, "RESTART_DELAY_SECONDS", 0.0)
    supervisor = Supervisor({})
    supervisor.start("rasa-r0", [sys.executable, "-c", "pass"], restart=True)
    supervisor.start("console", [sys.executable, "-c", "import time; time.sleep(3)"])
    try:
        assert supervisor.wait() == "console"
        assert supervisor.restarts["rasa-r0"] >= 2
    finally:
        supervisor.stop()


@pytest.mark.model
def test_two_replicas_behind_haproxy_lose_nothing_and_send_nothing_twice_when_one_is_killed(tmp_path):
    from scripts.load_cluster import run

    result = run(2, dms=1500, comments=300, rate=40, kill=True, log_dir=tmp_path)
    print("\n".join(result.lines()))
    assert result.killed.startswith("2 processes")
    assert result.lost == [] and result.not_done == []
    assert result.outcomes_twice == []
    assert result.dms_sent_twice == [] and result.comments_answered_twice == []
    assert sum(result.outcomes.values()) == 1800
    # One poller at a time: two feeds every 0.5 s at most, not once per replica.
    assert result.feed_polls <= 2 * (result.elapsed / 0.5 + 2)
