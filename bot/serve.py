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
from pathlib import Path
from typing import Dict, List

import yaml

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
    """Child processes with prefixed logs; stopping one stops all."""

    def __init__(self, env: Dict[str, str]) -> None:
        self.env = env
        self.children: Dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: List[str], env: Dict[str, str] | None = None) -> None:
        proc = subprocess.Popen(args, env={**self.env, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        threading.Thread(target=_pump, args=(name, proc.stdout, sys.stdout), daemon=True).start()
        self.children[name] = proc

    def wait(self) -> str | None:
        """Block until a child exits; its name."""
        while True:
            for name, proc in self.children.items():
                if proc.poll() is not None:
                    return name
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
    database, or in Redis, with Redis locks, when BOT_REDIS_URL is set (what lets several Rasa
    servers share conversations when the service outgrows one machine)."""
    from bot.weibo.trackers import STORE_TYPE, tracker_database_url

    endpoints: Dict[str, object] = {"action_endpoint": {"url": f"http://127.0.0.1:{settings.actions_port}/webhook"}}
    if settings.redis_url:
        from urllib.parse import urlsplit

        url = urlsplit(settings.redis_url)
        if url.scheme != "redis" or not url.hostname:
            raise ConfigError(f"BOT_REDIS_URL={settings.redis_url!r}: use redis://HOST:PORT/DB")
        common: Dict[str, object] = {"url": url.hostname, "port": url.port or 6379,
                                     "db": int((url.path or "/0").lstrip("/") or "0")}
        if url.password:
            common["password"] = url.password
        endpoints["tracker_store"] = {"type": "redis", **common, "key_prefix": "weibo_bot",
                                      "record_exp": int(settings.tracker_ttl_hours * 3600)}
        endpoints["lock_store"] = {"type": "redis", **common, "key_prefix": "weibo_bot"}
    else:
        endpoints["tracker_store"] = {"type": STORE_TYPE, "ttl_seconds": int(settings.tracker_ttl_hours * 3600),
                                      "db_url": tracker_database_url(settings.database_url, settings.data_dir)}
    return yaml.safe_dump(endpoints, allow_unicode=True, sort_keys=False)


def write_endpoints(settings: Settings, data_dir: Path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "endpoints.yml"
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


def cmd_serve(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
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
    endpoints = write_endpoints(settings, data_dir)
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
    # The action server writes tickets: only the Rasa server next to it may call it.
    # The SDK's own entry point, not `rasa run actions`: Rasa's CLI would load its ML stack into a
    # process that only reads FAQ files (about 40 MB more resident; see scripts/bench_memory.py).
    supervisor.start("actions", [sys.executable, "-m", "rasa_sdk", "--actions", "actions",
                                 "--port", str(settings.actions_port)], {"SANIC_HOST": "127.0.0.1"})
    supervisor.start("rasa", [str(bin_dir / "rasa"), "run", "-m", str(model), "--port", str(settings.rasa_port),
                              "--credentials", str(credentials), "--endpoints", str(endpoints)])
    if not args.no_console:
        supervisor.start("console", [str(bin_dir / "bot"), "console", "--port", str(settings.console_port)])
    print(f"serving: rasa :{settings.rasa_port} (webhooks /webhooks/weibo/webhook"
          + (", /webhooks/rest/webhook" if args.rest else "") + "), "
          f"actions :{settings.actions_port}" + ("" if args.no_console else f", console :{settings.console_port}")
          + ", Ctrl-C stops", flush=True)
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
