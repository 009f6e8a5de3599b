"""Settings, read once at the edge (CLI, serve, actions) from the environment and `.env`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from bot.errors import ConfigError

# The answer score an automatic reply needs, chosen on the precision-coverage curve (bot eval --curve).
DEFAULT_ANSWER_THRESHOLD = 0.5

WEIBO_API = "https://api.weibo.com"


def _number(env: Mapping[str, str], name: str, default, cast):
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return cast(raw)
    except ValueError as exc:
        kind = "whole number" if cast is int else "number"
        raise ConfigError(f"{name}={raw!r} is not a {kind}: set it to e.g. {default}") from exc


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    return _number(env, name, default, float)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    return _number(env, name, default, int)


@dataclass(frozen=True)
class Settings:
    database_url: str
    faq_dir: Path
    model_dir: Path
    answer_threshold: float
    intent_threshold: float
    weibo_app_secret: str
    weibo_access_token: str
    weibo_api_base: str
    weibo_poll_seconds: float
    weibo_backfill_hours: float
    redis_url: str
    data_dir: Path
    tracker_ttl_hours: float
    rasa_port: int
    actions_port: int
    console_port: int
    metrics_port: int
    replica_ports_from: int
    public_host: str
    service_levels_file: Path
    console_secure_cookies: bool
    service_hours_file: Path
    canned_dir: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
        if env is None:
            if dotenv is not None and dotenv.exists():
                from dotenv import load_dotenv

                load_dotenv(dotenv, override=False)
            env = os.environ
        data_dir = Path(env.get("BOT_DATA_DIR", "var"))
        return cls(
            database_url=env.get("BOT_DATABASE_URL") or f"sqlite:///{data_dir / 'bot.sqlite3'}",
            faq_dir=Path(env.get("BOT_FAQ_DIR", "data/faq")),
            model_dir=Path(env.get("BOT_MODEL_DIR", "models")),
            answer_threshold=_float(env, "BOT_ANSWER_THRESHOLD", DEFAULT_ANSWER_THRESHOLD),
            intent_threshold=_float(env, "BOT_INTENT_THRESHOLD", 0.5),
            weibo_app_secret=env.get("WEIBO_APP_SECRET", ""),
            weibo_access_token=env.get("WEIBO_ACCESS_TOKEN", ""),
            weibo_api_base=env.get("WEIBO_API_BASE", WEIBO_API).rstrip("/"),
            weibo_poll_seconds=_float(env, "WEIBO_POLL_SECONDS", 10.0),
            # A new deployment answers no comment older than its start, unless told to catch up.
            weibo_backfill_hours=_float(env, "WEIBO_BACKFILL_HOURS", 0.0),
            redis_url=env.get("BOT_REDIS_URL", ""),
            data_dir=data_dir,
            # A conversation idle this long is forgotten (Rasa's trackers; tickets and the inbox stay).
            tracker_ttl_hours=_float(env, "BOT_TRACKER_TTL_HOURS", 24.0),
            rasa_port=_int(env, "BOT_RASA_PORT", 5005),
            actions_port=_int(env, "BOT_ACTIONS_PORT", 5055),
            console_port=_int(env, "BOT_CONSOLE_PORT", 8000),
            # Prometheus metrics of the Rasa server, on loopback only; 0 turns them off.
            metrics_port=_int(env, "BOT_METRICS_PORT", 9105),
            # `bot serve --replicas N`: replica i's Rasa and action servers on this port + 2i and + 2i + 1.
            replica_ports_from=_int(env, "BOT_REPLICA_PORTS_FROM", 5100),
            # Where the load balancer listens (with BOT_RASA_PORT); 0.0.0.0 to take Weibo's pushes directly.
            public_host=env.get("BOT_PUBLIC_HOST", "0.0.0.0"),
            # First-response and resolution targets by department and priority (queue and reports).
            service_levels_file=Path(env.get("BOT_SERVICE_LEVELS", "data/service_levels.yml")),
            # The console is served over HTTPS (a TLS proxy in front): its cookies are marked Secure.
            console_secure_cookies=env.get("BOT_CONSOLE_SECURE_COOKIES", "").lower() in ("1", "true", "yes"),
            # When people answer (a DM handed to them outside these hours is told when they will).
            service_hours_file=Path(env.get("BOT_SERVICE_HOURS", "data/service_hours.yml")),
            canned_dir=Path(env.get("BOT_CANNED_DIR", "data/canned")),  # the departments' canned replies
        )


def available_cores() -> int:
    """The cores this process may run on (a container's share, not the host's count)."""
    return max(1, len(os.sched_getaffinity(0)))
