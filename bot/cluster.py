"""Several replicas on one machine behind HAProxy: their ports, their load balancer's
configuration, and what a shared deployment needs before it starts.

Each replica is one Rasa server (with the Weibo loops) and one action server, on loopback ports
of its own; HAProxy listens on the public port (BOT_RASA_PORT) and forwards only the Weibo
webhook to replicas whose health check passes. All replicas share PostgreSQL (inbox, outbox,
queue, trackers, leases) and Redis (Rasa's lock store).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import List

from bot.errors import ConfigError
from bot.settings import Settings

HAPROXY_TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "haproxy.cfg"


@dataclass(frozen=True)
class Replica:
    index: int
    rasa_port: int
    actions_port: int
    metrics_port: int

    @property
    def name(self) -> str:
        return f"r{self.index}"


def plan(settings: Settings, count: int) -> List[Replica]:
    """Ports of `count` replicas: Rasa and actions from BOT_REPLICA_PORTS_FROM in pairs, metrics
    from BOT_METRICS_PORT on (0 keeps metrics off)."""
    base = settings.replica_ports_from
    return [Replica(i, base + 2 * i, base + 2 * i + 1, settings.metrics_port + i if settings.metrics_port else 0)
            for i in range(count)]


def check_shared(settings: Settings, count: int) -> None:
    """Several replicas need shared stores: a database server and Redis, never a SQLite file."""
    if count < 1:
        raise ConfigError(f"--replicas {count}: give at least 1, e.g. --replicas 2")
    if count == 1:
        return
    if settings.database_url.startswith("sqlite"):
        raise ConfigError("several replicas need one database they all reach: set BOT_DATABASE_URL, "
                          "e.g. BOT_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bot")
    if not settings.redis_url:
        raise ConfigError("several replicas need Redis for Rasa's conversation locks: set BOT_REDIS_URL, "
                          "e.g. BOT_REDIS_URL=redis://127.0.0.1:6379/0")
    ports = {settings.rasa_port, settings.console_port}
    for replica in plan(settings, count):
        if ports & {replica.rasa_port, replica.actions_port}:
            raise ConfigError(f"replica ports {replica.rasa_port}/{replica.actions_port} collide with the public "
                              "or console port: set BOT_REPLICA_PORTS_FROM to a free range, e.g. 5100")


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy",) if Path(p).exists()), None)
    if found is None:
        raise ConfigError("haproxy is not installed: `apt-get install haproxy` (Debian), or run one replica")
    return found


def haproxy_config(settings: Settings, replicas: List[Replica], template: Path = HAPROXY_TEMPLATE) -> str:
    """The shipped configuration with this deployment's listen address and servers filled in."""
    servers = "\n".join(f"    server {r.name} 127.0.0.1:{r.rasa_port} check" for r in replicas)
    return Template(template.read_text(encoding="utf-8")).substitute(
        bind=f"{settings.public_host}:{settings.rasa_port}", servers=servers)
