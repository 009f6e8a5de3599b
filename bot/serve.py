"""`bot serve`: train if needed, then run the Rasa server (with the Weibo and REST channels and
the Weibo workers), the action server and the console, and stop them all cleanly on Ctrl-C."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Dict, List

import yaml

from bot import cluster
from bot.errors import ConfigError
from bot.settings import Settings

ROOT_FILES = ["config.yml", "domain.yml", "data/rules.yml", "bot/text.py", "bot/nlu/normalizer.py",
              "bot/nlu/entities.py", "bot/nlu/linear.py", "bot/nlu/linear_component.py", "bot/questions.py",
              "bot/regional.py"]
ROOT_DIRS = ["data/nlu", "data/jieba"]


def model_is_stale(model: Path, root: Path = Path(".")) -> bool:
    """The model is missing or older than any file it was trained from."""
    if not model.exists():
        return True
    inputs = [root / f for f in ROOT_FILES] + [p for d in ROOT_DIRS for p in (root / d).glob("*")]
    newest = max((p.stat().st_mtime for p in inputs if p.exists()), default=0)
    return newest > model.stat().st_mtime


def _pump(name: str, stream, out) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip()
        if line:
            out.write(f"[{name:>7}] {line}\n")
            out.flush()


class Supervisor:
    """Child processes with prefixed logs. A child that exits stops all, except a replica's
    (`restart=True`): another replica carries the load meanwhile, so it is started again."""

    RESTART_DELAY_SECONDS = 1.0

    def __init__(self, env: Dict[str, str]) -> None:
        self.env = env
        self.children: Dict[str, subprocess.Popen] = {}
        self._specs: Dict[str, tuple] = {}
        self.restarts: Dict[str, int] = {}
        self._started: Dict[str, float] = {}
        self._failing: Dict[str, int] = {}  # restarts in a row of a child that did not stay up a minute

    def start(self, name: str, args: List[str], env: Dict[str, str] | None = None, restart: bool = False) -> None:
        self._specs[name] = (args, env, restart)
        self._started[name] = time.monotonic()
        proc = subprocess.Popen(args, env={**self.env, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        threading.Thread(target=_pump, args=(name, proc.stdout, sys.stdout), daemon=True).start()
        self.children[name] = proc

    def wait(self) -> str | None:
        """Block until a child that is not restarted exits; its name. Replicas that exit are started again."""
        while True:
            for name, proc in list(self.children.items()):
                if proc.poll() is None:
                    continue
                args, env, restart = self._specs[name]
                if not restart:
                    return name
                self.restarts[name] = self.restarts.get(name, 0) + 1
                # One that keeps failing (a port taken, a broken model) is retried less and less often.
                stayed_up = time.monotonic() - self._started[name] > 60.0
                self._failing[name] = 0 if stayed_up else self._failing.get(name, 0) + 1
                delay = min(self.RESTART_DELAY_SECONDS * 2 ** min(self._failing[name], 5), 30.0)
                print(f"{name} exited with {proc.returncode}; starting it again in {delay:.0f} s "
                      f"(restart {self.restarts[name]})", flush=True)
                time.sleep(delay)
                self.start(name, args, env, restart)
            time.sleep(0.5)

    def stop(self, timeout: float = 20.0) -> None:
        for proc in self.children.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + timeout
        for proc in self.children.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def endpoints_yaml(settings: Settings) -> str:
    """Rasa endpoints: our action server; trackers that expire (bot/weibo/trackers.py) in the SQL
    database, and, when BOT_REDIS_URL is set, Rasa's conversation locks in Redis (what lets several
    Rasa servers share conversations: each replica's own in-memory locks would not see the others)."""
    from bot.weibo.trackers import STORE_TYPE, tracker_database_url

    endpoints: Dict[str, object] = {
        "action_endpoint": {"url": f"http://127.0.0.1:{settings.actions_port}/webhook"},
        "tracker_store": {"type": STORE_TYPE, "ttl_seconds": int(settings.tracker_ttl_hours * 3600),
                          "db_url": tracker_database_url(settings.database_url, settings.data_dir)}}
    if settings.redis_url:
        from urllib.parse import urlsplit

        url = urlsplit(settings.redis_url)
        if url.scheme != "redis" or not url.hostname:
            raise ConfigError(f"BOT_REDIS_URL={settings.redis_url!r}: use redis://HOST:PORT/DB")
        lock: Dict[str, object] = {"type": "redis", "url": url.hostname, "port": url.port or 6379,
                                   "db": int((url.path or "/0").lstrip("/") or "0"), "key_prefix": "weibo_bot"}
        if url.password:
            lock["password"] = url.password
        endpoints["lock_store"] = lock
    return yaml.safe_dump(endpoints, allow_unicode=True, sort_keys=False)


def write_endpoints(settings: Settings, data_dir: Path, name: str = "endpoints.yml") -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / name
    path.write_text(endpoints_yaml(settings), encoding="utf-8")
    return path


REST_CHANNEL = "rest:\n"


def credentials_yaml(base: str, rest: bool) -> str:
    """Rasa's channel credentials: the Weibo channel, plus the REST channel only when asked for
    (it is for local testing: whoever reaches the port can talk to the bot through it)."""
    lines = [line for line in base.splitlines(keepends=True) if line.strip() != REST_CHANNEL.strip()]
    text = "".join(lines)
    if rest:
        text = (text if text.endswith("\n") or not text else text + "\n") + REST_CHANNEL
    return text


def _start_replica(supervisor: Supervisor, rasa: List[str], endpoints: Path, rasa_port: int, actions_port: int,
                   metrics_port: int, name: str = "") -> None:
    """One Rasa server (with the Weibo loops) and the action server only it calls. The action
    server writes tickets: it listens on loopback only. The SDK's own entry point, not `rasa run
    actions`: Rasa's CLI would load its ML stack into a process that only reads FAQ files (about
    40 MB more resident; see scripts/bench_memory.py). A named replica is restarted when it exits."""
    suffix = f"-{name}" if name else ""
    supervisor.start(f"actions{suffix}", [sys.executable, "-m", "rasa_sdk", "--actions", "actions",
                                          "--port", str(actions_port)], {"SANIC_HOST": "127.0.0.1"}, restart=bool(name))
    own = {"BOT_ACTIONS_PORT": str(actions_port), "BOT_METRICS_PORT": str(metrics_port), "BOT_RASA_PORT": str(rasa_port)}
    if name:
        # Behind the load balancer a replica's Rasa API listens on loopback only.
        rasa = rasa + ["-i", "127.0.0.1"]
    supervisor.start(f"rasa{suffix}", rasa + ["--port", str(rasa_port), "--endpoints", str(endpoints)], own,
                     restart=bool(name))


def cmd_serve(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    cluster.check_shared(settings, args.replicas)
    balancer = cluster.haproxy_binary() if args.replicas > 1 else ""  # before anything starts
    from bot.nlu.parser import MODEL_NAME
    from bot.store.db import migrate

    model = settings.model_dir / f"{MODEL_NAME}.tar.gz"
    if model_is_stale(model):
        print("model missing or stale: training (a few minutes)...", flush=True)
        from bot.nlu.training import train

        train(settings.model_dir)
    if not settings.faq_dir.is_dir():
        raise ConfigError(f"FAQ directory {settings.faq_dir} does not exist: set BOT_FAQ_DIR")
    migrate(settings.database_url)
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    base = Path(args.credentials)
    if not base.is_file():
        raise ConfigError(f"credentials file {base} does not exist: pass --credentials PATH")
    credentials = data_dir / "credentials.yml"
    credentials.write_text(credentials_yaml(base.read_text(encoding="utf-8"), args.rest), encoding="utf-8")
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
           "BOT_DATABASE_URL": settings.database_url}
    if args.backfill is not None:
        if args.backfill < 0:
            raise ConfigError(f"--backfill {args.backfill}: give the hours to catch up on, e.g. --backfill 24")
        env["WEIBO_BACKFILL_HOURS"] = str(args.backfill)
    supervisor = Supervisor(env)
    replicas = cluster.plan(settings, args.replicas)
    rasa = [str(bin_dir / "rasa"), "run", "-m", str(model), "--credentials", str(credentials)]
    if args.replicas == 1:
        _start_replica(supervisor, rasa, write_endpoints(settings, data_dir), settings.rasa_port, settings.actions_port,
                       settings.metrics_port)
        front = f"rasa :{settings.rasa_port}"
    else:
        config = data_dir / "haproxy.cfg"
        config.write_text(cluster.haproxy_config(settings, replicas), encoding="utf-8")
        for r in replicas:
            own = write_endpoints(replace(settings, actions_port=r.actions_port), data_dir, f"endpoints-{r.name}.yml")
            _start_replica(supervisor, rasa, own, r.rasa_port, r.actions_port, r.metrics_port, r.name)
        # -db: stay in the foreground, so the supervisor sees it exit; -W: master-worker, reloadable.
        supervisor.start("haproxy", [balancer, "-db", "-W", "-f", str(config)])
        front = (f"haproxy :{settings.rasa_port} -> {len(replicas)} replicas (rasa "
                 + ", ".join(f":{r.rasa_port}" for r in replicas) + ")")
    if not args.no_console:
        supervisor.start("console", [str(bin_dir / "bot"), "console", "--port", str(settings.console_port)])
    print(f"serving: {front} (webhooks /webhooks/weibo/webhook"
          + (", /webhooks/rest/webhook" if args.rest else "") + "), "
          f"actions :{settings.actions_port if args.replicas == 1 else 'per replica'}"
          + ("" if args.no_console else f", console :{settings.console_port}") + ", Ctrl-C stops", flush=True)
    stopping = threading.Event()

    def _stop(signum, frame) -> None:  # noqa: ANN001
        stopping.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        exited = supervisor.wait()
        print(f"{exited} exited; stopping the rest", flush=True)
        return 1
    except KeyboardInterrupt:
        print("stopping...", flush=True)
        return 0
    finally:
        supervisor.stop()
