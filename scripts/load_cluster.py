"""Several replicas behind HAProxy on PostgreSQL and Redis, one of them killed mid-stream.

Creates a fresh PostgreSQL database on the machine's server, starts the Weibo stand-in and
`bot serve --replicas N --no-console` (HAProxy in front of N Rasa + action servers), pushes
--dms signed DMs through the load balancer at --rate a second (pushing again, as Weibo does,
until a push gets a 200) while --comments comments appear in the polled feed, and with --kill
sends SIGKILL to one replica's Rasa and action servers part-way (the supervisor starts them
again). When every message is settled it checks each one in the database and at the stand-in:
exactly one outcome per message, none lost, no reply sent twice, no comment answered twice.
Prints throughput and p50/p95 from push to reply for each replica count.

usage: .venv/bin/python scripts/load_cluster.py [--replicas 1,2] [--dms 10000] [--comments 2000] [--rate 50] [--kill]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

import requests
from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.store.db import make_engine, make_session_factory  # noqa: E402
from bot.store.tables import inbox, inbox_events, outbox  # noqa: E402
from bot.weibo.api import COMMENT_REPLY, COMMENTS_MENTIONS, COMMENTS_TO_ME, DM_REPLY  # noqa: E402
from bot.weibo.standin import WeiboStandIn  # noqa: E402
from scripts.bench_data import messages  # noqa: E402
from scripts.fault_injection import cmdline, descendants, push_until_accepted  # noqa: E402
from tests.helpers import BIN, free_port, start, stop, wait_http  # noqa: E402

SECRET, TOKEN = "cluster-secret", "cluster-token"
FIRST_SENDER = 6_000_000
ADMIN_URL = os.environ.get("BOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass
class Result:
    replicas: int
    dms: int
    comments: int
    elapsed: float = 0.0
    push_retries: int = 0
    lost: List[str] = field(default_factory=list)
    not_done: List[int] = field(default_factory=list)
    outcomes_twice: List[int] = field(default_factory=list)
    dms_sent_twice: List[int] = field(default_factory=list)
    comments_answered_twice: List[str] = field(default_factory=list)
    latencies_ms: List[float] = field(default_factory=list)
    outcomes: Dict[str, int] = field(default_factory=dict)
    replies: Dict[str, int] = field(default_factory=dict)
    feed_polls: int = 0
    killed: str = ""

    @property
    def ok(self) -> bool:
        return not (self.lost or self.not_done or self.outcomes_twice or self.dms_sent_twice
                    or self.comments_answered_twice)

    def percentile(self, p: float) -> float:
        values = sorted(self.latencies_ms)
        return values[min(len(values) - 1, int(p * len(values)))] if values else float("nan")

    def lines(self) -> List[str]:
        total = self.dms + self.comments
        return [
            f"{self.replicas} replica(s): {total} messages ({self.dms} DMs, {self.comments} comments) settled in "
            f"{self.elapsed:.1f} s = {total / self.elapsed:.1f} msg/s; push -> reply p50 {self.percentile(0.5):.0f} ms, "
            f"p95 {self.percentile(0.95):.0f} ms" + (f"; killed {self.killed}" if self.killed else ""),
            "  outcomes " + ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
            + "; replies " + ", ".join(f"{k} {v}" for k, v in sorted(self.replies.items()))
            + f"; push retries {self.push_retries}; feed polls {self.feed_polls}",
            f"  LOST {len(self.lost) + len(self.not_done)}   MORE THAN ONE OUTCOME {len(self.outcomes_twice)}   "
            f"DM SENT TWICE {len(self.dms_sent_twice)}   COMMENT ANSWERED TWICE {len(self.comments_answered_twice)}",
        ]


def _port_range(count: int) -> int:
    """The first of `count` consecutive free loopback ports."""
    for _ in range(200):
        base = free_port()
        try:
            socks = []
            for port in range(base, base + count):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError(f"no {count} consecutive free ports")


class Database:
    """A database of its own on the machine's PostgreSQL, dropped afterwards."""

    def __init__(self) -> None:
        self.name = f"cluster_{uuid.uuid4().hex[:10]}"
        self.admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)

    def __enter__(self) -> str:
        with self.admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {self.name}"))
        return ADMIN_URL.rsplit("/", 1)[0] + f"/{self.name}"

    def __exit__(self, *exc) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"))
        self.admin.dispose()


def _kill_replica(serve: subprocess.Popen, rasa_port: int, actions_port: int) -> str:
    """SIGKILL one replica's Rasa server (the Weibo loops) and its action server."""
    victims = [pid for pid in descendants(serve.pid)
               if f"--port {rasa_port} " in cmdline(pid) + " " or f"--port {actions_port} " in cmdline(pid) + " "]
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    return f"{len(victims)} processes of the replica on :{rasa_port} with SIGKILL"


def run(replicas: int, dms: int, comments: int, rate: float, kill: bool = False, settle: float = 300.0,
        log_dir: Path | None = None) -> Result:
    """One run; `kill` (needs 2 replicas or more) kills the first replica when 40% of the DMs are pushed."""
    os.chdir(ROOT)
    tmp = Path(tempfile.mkdtemp(prefix="weibo-cluster-"))
    log_dir = log_dir or tmp
    result = Result(replicas, dms, comments)
    standin = WeiboStandIn(access_token=TOKEN).start()
    public, base = free_port(), _port_range(2 * replicas)
    texts = [t for _, t in messages(dms + comments, seed=31)]
    with Database() as db_url:
        env = {"WEIBO_APP_SECRET": SECRET, "WEIBO_ACCESS_TOKEN": TOKEN, "WEIBO_API_BASE": standin.base_url,
               "WEIBO_POLL_SECONDS": "0.5", "BOT_DATABASE_URL": db_url, "BOT_REDIS_URL": REDIS_URL,
               "BOT_DATA_DIR": str(tmp), "BOT_RASA_PORT": str(public), "BOT_PUBLIC_HOST": "127.0.0.1",
               "BOT_REPLICA_PORTS_FROM": str(base), "BOT_ACTIONS_PORT": str(free_port()), "BOT_METRICS_PORT": "0"}
        serve = start([str(BIN / "bot"), "serve", "--no-console", "--replicas", str(replicas)], env,
                      log_dir / f"serve-{replicas}.log")
        try:
            wait_http(f"http://127.0.0.1:{public}/webhooks/weibo/", timeout=300, proc=serve)
            if replicas > 1:  # every replica healthy, not just the first
                for i in range(replicas):
                    wait_http(f"http://127.0.0.1:{base + 2 * i}/webhooks/weibo/", timeout=300, proc=serve)
            polls_before = len(standin.received(COMMENTS_TO_ME)) + len(standin.received(COMMENTS_MENTIONS))
            hook = f"http://127.0.0.1:{public}/webhooks/weibo/webhook"
            pushed_at: Dict[int, float] = {}
            attempts: Counter = Counter()
            posted: List[dict] = []
            local = threading.local()

            def push(i: int) -> None:
                sender = FIRST_SENDER + i
                body = {"type": "text", "receiver_id": 9000, "sender_id": sender, "data": {},
                        "created_at": time.strftime("%a %b %d %H:%M:%S +0800 %Y"), "text": texts[i]}
                pushed_at[sender] = time.time()
                local.http, attempts[sender] = push_until_accepted(getattr(local, "http", None) or requests.Session(),
                                                                   hook, SECRET, body)

            def comment_all() -> None:
                gap = dms / rate / max(1, comments)
                for i in range(comments):
                    posted.append(standin.add_comment(texts[dms + i], user_id=8_000_000 + i, screen_name=f"粉丝{i}"))
                    time.sleep(gap)

            commenter = threading.Thread(target=comment_all, daemon=True)
            started = time.time()
            commenter.start()
            with ThreadPoolExecutor(max(8, int(rate))) as pool:
                futures = []
                for i in range(dms):
                    time.sleep(max(0.0, started + i / rate - time.time()))
                    if kill and i == int(dms * 0.4):
                        result.killed = _kill_replica(serve, base, base + 1)
                    futures.append(pool.submit(push, i))
                for future in futures:
                    future.result()
            commenter.join()
            factory = make_session_factory(make_engine(db_url))
            deadline = time.time() + settle
            while time.time() < deadline:
                with factory() as session:
                    finished = session.execute(select(func.count()).select_from(inbox)
                                               .where(inbox.c.status == "done")).scalar()
                    busy = session.execute(select(func.count()).select_from(outbox).where(
                        outbox.c.status.in_(["pending", "sending"]))).scalar()
                if finished >= dms + comments and busy == 0:
                    break
                time.sleep(0.5)
            result.elapsed = time.time() - started
            result.push_retries = sum(attempts.values()) - dms
            result.feed_polls = len(standin.received(COMMENTS_TO_ME)) + len(standin.received(COMMENTS_MENTIONS)) \
                - polls_before
            _check(result, factory, standin, pushed_at, posted)
            factory.kw["bind"].dispose()
        finally:
            stop(serve)
            standin.stop()
    return result


def _check(result: Result, factory, standin: WeiboStandIn, pushed_at: Dict[int, float], posted: List[dict]) -> None:
    with factory() as session:
        rows = session.execute(select(inbox.c.id, inbox.c.channel, inbox.c.sender_id, inbox.c.payload,
                                      inbox.c.status, inbox.c.outcome)).all()
        finishes = Counter(session.execute(select(inbox_events.c.inbox_id).where(inbox_events.c.kind == "done"))
                           .scalars().all())
        result.replies = dict(session.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status)).all())
    dm_rows = Counter(int(r.sender_id) for r in rows if r.channel == "dm")
    comment_rows = Counter(json.loads(r.payload)["cid"] for r in rows if r.channel == "comment")
    result.lost = [f"dm:{s}" for s in pushed_at if dm_rows[s] == 0] + \
                  [f"comment:{c['id']}" for c in posted if comment_rows[str(c["id"])] == 0]
    result.not_done = [r.id for r in rows if r.status != "done"]
    result.outcomes_twice = [i for i, n in finishes.items() if n > 1]
    dm_calls = standin.received(DM_REPLY)
    dm_sent = Counter(int(c["form"]["receiver_id"]) for c in dm_calls)
    comment_sent = Counter(c["form"]["cid"] for c in standin.received(COMMENT_REPLY))
    result.dms_sent_twice = [k for k, n in dm_sent.items() if n > 1]
    result.comments_answered_twice = [k for k, n in comment_sent.items() if n > 1]
    result.outcomes = dict(Counter((r.outcome or "").split("/")[0] for r in rows if r.status == "done"))
    first: Dict[int, float] = {}
    for call in dm_calls:
        first.setdefault(int(call["form"]["receiver_id"]), call["time"])
    result.latencies_ms = [(first[s] - t) * 1000 for s, t in pushed_at.items() if s in first]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", default="1,2", help="replica counts to run one after the other (default: 1,2)")
    parser.add_argument("--dms", type=int, default=10000)
    parser.add_argument("--comments", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0, help="DM pushes a second")
    parser.add_argument("--kill", action="store_true", help="SIGKILL one replica mid-stream (runs with 2 or more)")
    args = parser.parse_args()
    ok = True
    for count in [int(n) for n in args.replicas.split(",")]:
        result = run(count, args.dms, args.comments, args.rate, kill=args.kill and count > 1)
        print("\n".join(result.lines()), flush=True)
        ok = ok and result.ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
