"""`bot serve` helpers: model staleness and the generated Rasa endpoints."""

import time

import pytest
import yaml

from bot.errors import ConfigError
from bot.serve import endpoints_yaml, model_is_stale
from bot.settings import Settings


def settings(**env):
    return Settings.from_env({"BOT_ACTIONS_PORT": "6055", **env})


def test_endpoints_point_at_the_action_port_and_keep_trackers_in_an_expiring_store():
    plain = yaml.safe_load(endpoints_yaml(settings(BOT_TRACKER_TTL_HOURS="2", BOT_DATA_DIR="/srv/bot")))
    assert plain == {"action_endpoint": {"url": "http://127.0.0.1:6055/webhook"},
                     "tracker_store": {"type": "bot.weibo.trackers.SqlTrackerStore", "ttl_seconds": 7200,
                                       "db_url": "sqlite:////srv/bot/trackers.sqlite3"}}
    pg = yaml.safe_load(endpoints_yaml(settings(BOT_DATABASE_URL="postgresql://bot@db:5432/bot")))
    assert pg["tracker_store"]["db_url"] == "postgresql://bot@db:5432/bot"
    shared = yaml.safe_load(endpoints_yaml(settings(BOT_REDIS_URL="redis://:pw@10.0.0.5:6380/3",
                                                    BOT_DATABASE_URL="postgresql://bot@db:5432/bot")))
    # Replicas share trackers in the database and Rasa's conversation locks in Redis.
    assert shared["tracker_store"]["db_url"] == "postgresql://bot@db:5432/bot"
    assert shared["lock_store"] == {"type": "redis", "url": "10.0.0.5", "port": 6380, "db": 3, "password": "pw",
                                    "key_prefix": "weibo_bot"}
    assert "lock_store" not in plain


def test_bad_redis_url_is_a_clear_error():
    with pytest.raises(ConfigError, match="use redis://HOST:PORT/DB"):
        endpoints_yaml(settings(BOT_REDIS_URL="localhost:6379"))


def test_model_is_stale_when_missing_or_older_than_its_inputs(tmp_path):
    (tmp_path / "data" / "nlu").mkdir(parents=True)
    source = tmp_path / "config.yml"
    source.write_text("x")
    model = tmp_path / "m.tar.gz"
    assert model_is_stale(model, tmp_path)
    model.write_text("m")
    assert not model_is_stale(model, tmp_path)
    time.sleep(0.01)
    source.write_text("y")
    assert model_is_stale(model, tmp_path)


def test_settings_reject_non_numbers():
    with pytest.raises(ConfigError, match="WEIBO_POLL_SECONDS='soon' is not a number"):
        Settings.from_env({"WEIBO_POLL_SECONDS": "soon"})


def test_the_rest_channel_is_only_in_the_credentials_when_asked_for():
    from pathlib import Path

    from bot.serve import credentials_yaml

    base = Path("credentials.yml").read_text(encoding="utf-8")
    closed, opened = credentials_yaml(base, rest=False), credentials_yaml(base, rest=True)
    assert "bot.weibo.channel.WeiboInput" in closed and "bot.weibo.channel.WeiboInput" in opened
    assert "rest:" not in [line.strip() for line in closed.splitlines()]
    assert "rest:" in [line.strip() for line in opened.splitlines()]
    # An old credentials file that still lists the REST channel does not open it either.
    assert "rest:" not in [line.strip() for line in credentials_yaml("rest:\n" + base, rest=False).splitlines()]
