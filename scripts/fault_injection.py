"""Fault-injection run of the live path: every message ends with exactly one outcome, none is lost,
no reply is sent twice.

Starts a PostgreSQL server of its own (initdb in a temporary directory, so it can be restarted
without touching the machine's), the Weibo stand-in and `bot serve --no-console`. It then pushes
--dms signed DMs (retrying a push that got no 200, as Weibo does) and adds --comments comments to
the polled feed, while it injects, in turn: HTTP 5xx on replies, time-outs after and before the
stand-in took a reply, kill -9 of the Rasa server, of the action server and of the supervisor
(with its children), and a restart of the database. When everything settled it checks each
message in the database and at the stand-in and prints the figures.

usage: .venv/bin/python scripts/fault_injection.py [--dms 1000] [--comments 300]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Dict, List

import requests
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.store.db import make_engine, make_session_factory  # noqa: E402
from bot.store.tables import inbox, inbox_events, outbox, tickets  # noqa: E402
from bot.weibo.api import COMMENT_REPLY, DM_REPLY  # noqa: E402
from bot.weibo.signature import sign  # noqa: E402
from bot.weibo.standin import WeiboStandIn  # noqa: E402
from scripts.bench_data import messages  # noqa: E402
from tests.helpers import BIN, free_port, start, wait_http  # noqa: E402

SECRET, TOKEN = "fault-secret", "fault-token"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
FIRST_SENDER = 8_000_000


class Postgres:
    """A throw-away PostgreSQL server that this run may restart at will."""

    def __init__(self, directory: Path) -> None:
        self.data = directory / "pg"
        self.port = free_port()
        self.log = directory / "pg.log"
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        directory.chmod(0o777)

    def _run(self, *args: str) -> None:
        subprocess.run(self._as_postgres + [str(PG_BIN / args[0]), *args[1:]], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def init(self) -> Postgres:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()
        return self

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o",
                  f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1", "start")

    def restart(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        time.sleep(2.0)  # connections fail meanwhile
        self.start()

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


def push_until_accepted(http: requests.Session, hook: str, secret: str, body: dict) -> tuple:
    """Push one signed DM as Weibo does: again every half second until it gets a 200. Returns the
    session to go on with (a new one after a broken connection) and the attempts it took."""
    attempts = 0
    while True:
        attempts += 1
        ts, nonce = str(int(time.time() * 1000)), uuid.uuid4().hex[:8]
        try:
            response = http.post(hook, params={"signature": sign(secret, ts, nonce), "timestamp": ts, "nonce": nonce},
                                 data=json.dumps(body, ensure_ascii=False).encode(), timeout=5)
            if response.status_code == 200:
                return http, attempts
        except requests.RequestException:
            http = requests.Session()
        time.sleep(0.5)


def descendants(pid: int) -> List[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                out += [int(entry.name)] + descendants(int(entry.name))
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Serve:
    def __init__(self, tmp: Path, env: Dict[str, str], rasa_port: int) -> None:
        self.tmp, self.env, self.rasa_port = tmp, env, rasa_port
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self.proc = start([str(BIN / "bot"), "serve", "--no-console"], self.env, self.tmp / f"serve-{self.starts}.log")
        wait_http(f"http://127.0.0.1:{self.rasa_port}/webhooks/weibo/", timeout=240, proc=self.proc)

    def kill(self, which: str) -> None:
        """kill -9 one process: `rasa`, `actions` or `supervisor` (then its orphans die too, as in a
        crash of the whole box); then wait for the supervisor to end and start everything again."""
        children = descendants(self.proc.pid)
        if which == "supervisor":
            victims = [self.proc.pid]
        else:
            marker = "rasa_sdk" if which == "actions" else " run -m "
            victims = [pid for pid in children if marker in cmdline(pid)][:1]
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        if which == "supervisor":
            time.sleep(1.0)
            for pid in children:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.proc.wait(60)
        for pid in children:  # what the supervisor did not stop in time
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dms", type=int, default=1000)
    parser.add_argument("--comments", type=int, default=300)
    parser.add_argument("--rate", type=float, default=25.0, help="DM pushes a second")
    parser.add_argument("--settle", type=float, default=240.0, help="seconds to wait for the last outcomes")
    args = parser.parse_args()
    os.chdir(ROOT)
    tmp = Path(tempfile.mkdtemp(prefix="weibo-faults-"))
    pg = Postgres(tmp).init()
    standin = WeiboStandIn(access_token=TOKEN).start()
    rasa_port = free_port()
    env = {"WEIBO_APP_SECRET": SECRET, "WEIBO_ACCESS_TOKEN": TOKEN, "WEIBO_API_BASE": standin.base_url,
           "WEIBO_POLL_SECONDS": "0.5", "BOT_DATABASE_URL": pg.url, "BOT_DATA_DIR": str(tmp),
           "BOT_RASA_PORT": str(rasa_port), "BOT_ACTIONS_PORT": str(free_port())}
    serve = Serve(tmp, env, rasa_port)
    texts = [t for _, t in messages(args.dms + args.comments, seed=23)]
    hook = f"http://127.0.0.1:{rasa_port}/webhooks/weibo/webhook"
    push_attempts: Counter = Counter()
    posted: List[dict] = []
    try:
        serve.start()
        print(f"serving on PostgreSQL :{pg.port}; {args.dms} DMs at {args.rate}/s and {args.comments} comments",
              flush=True)

        def push_all() -> None:
            http = requests.Session()
            for i in range(args.dms):
                sender = FIRST_SENDER + i
                body = {"type": "text", "receiver_id": 9000, "sender_id": sender, "data": {},
                        "created_at": time.strftime("%a %b %d %H:%M:%S +0800 %Y"), "text": texts[i]}
                http, attempts = push_until_accepted(http, hook, SECRET, body)
                push_attempts[sender] += attempts
                time.sleep(1.0 / args.rate)

        def comment_all() -> None:
            for i in range(args.comments):
                posted.append(standin.add_comment(texts[args.dms + i], user_id=9_000_000 + i, screen_name=f"粉丝{i}"))
                time.sleep(max(0.01, args.dms / args.rate / max(1, args.comments)))

        workers = [threading.Thread(target=push_all, daemon=True), threading.Thread(target=comment_all, daemon=True)]
        for worker in workers:
            worker.start()
        faults: List[tuple] = [
            (3, "5xx on replies", lambda: (standin.fail_next(DM_REPLY, 503, 20), standin.fail_next(COMMENT_REPLY, 502, 10))),
            (6, "time-outs after the stand-in took a reply", lambda: standin.timeout_next(DM_REPLY, 5, delay=6.0)),
            (9, "time-outs before the stand-in took a reply", lambda: standin.drop_next(DM_REPLY, 5, delay=6.0)),
            (12, "kill -9 the Rasa server", lambda: serve.kill("rasa")),
            (20, "restart the database", pg.restart),
            (26, "kill -9 the action server", lambda: serve.kill("actions")),
            (34, "kill -9 the supervisor and its children", lambda: serve.kill("supervisor")),
        ]
        started = time.monotonic()
        for at, what, inject in faults:
            time.sleep(max(0.0, at - (time.monotonic() - started)))
            t0 = time.monotonic()
            inject()
            print(f"  t={time.monotonic() - started:5.1f}s  {what} ({time.monotonic() - t0:.1f}s)", flush=True)
        for worker in workers:
            worker.join()
        print(f"  t={time.monotonic() - started:5.1f}s  all pushed and posted; waiting for the outcomes", flush=True)
        factory = make_session_factory(make_engine(pg.url))
        expected = args.dms + args.comments

        def settled() -> bool:
            with factory() as session:
                finished = session.execute(select(func.count()).select_from(inbox).where(inbox.c.status == "done")).scalar()
                busy = session.execute(select(func.count()).select_from(outbox).where(
                    outbox.c.status.in_(["pending", "sending"]))).scalar()
            return finished >= expected and busy == 0

        deadline = time.monotonic() + args.settle
        while not settled() and time.monotonic() < deadline:
            time.sleep(1.0)
        time.sleep(7.0)  # a reply held by an injected time-out lands at the stand-in meanwhile
        return report(factory, standin, args, push_attempts, posted, time.monotonic() - started)
    finally:
        serve.stop()
        standin.stop()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def report(factory, standin: WeiboStandIn, args, push_attempts: Counter, posted: List[dict], elapsed: float) -> int:
    with factory() as session:
        rows = session.execute(select(inbox.c.id, inbox.c.channel, inbox.c.sender_id, inbox.c.payload,
                                      inbox.c.status, inbox.c.outcome, inbox.c.attempts)).all()
        finishes = Counter(session.execute(select(inbox_events.c.inbox_id).where(inbox_events.c.kind == "done"))
                           .scalars().all())
        replies = session.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status)).all()
        reasons = session.execute(select(tickets.c.reason, func.count()).group_by(tickets.c.reason)).all()
    dm_rows = Counter(int(r.sender_id) for r in rows if r.channel == "dm")
    comment_rows = Counter(json.loads(r.payload)["cid"] for r in rows if r.channel == "comment")
    lost_dms = [s for s in range(FIRST_SENDER, FIRST_SENDER + args.dms) if dm_rows[s] == 0]
    lost_comments = [c["id"] for c in posted if comment_rows[str(c["id"])] == 0]
    not_done = [r.id for r in rows if r.status != "done"]
    outcomes_twice = [i for i, n in finishes.items() if n > 1]
    dm_sent = Counter(int(c["form"]["receiver_id"]) for c in standin.received(DM_REPLY))
    comment_sent = Counter(c["form"]["cid"] for c in standin.received(COMMENT_REPLY))
    sent_twice = [k for k, n in dm_sent.items() if n > 1] + [k for k, n in comment_sent.items() if n > 1]
    outcomes = Counter((r.outcome or "").split("/")[0] for r in rows if r.status == "done")
    print(f"messages {args.dms + len(posted)} ({args.dms} DMs, {len(posted)} comments) in {elapsed:.0f} s; "
          f"DM pushes sent {sum(push_attempts.values())} (retries {sum(push_attempts.values()) - args.dms})")
    print(f"inbox rows {len(rows)}: done {len(rows) - len(not_done)}, not done {len(not_done)}; "
          f"a DM stored twice {sum(1 for n in dm_rows.values() if n > 1)}, a comment stored twice "
          f"{sum(1 for n in comment_rows.values() if n > 1)}; more than one outcome {len(outcomes_twice)}")
    print("outcomes " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    print("replies " + ", ".join(f"{status} {n}" for status, n in sorted(replies)) +
          f"; at the stand-in: DMs {sum(dm_sent.values())}, comments {sum(comment_sent.values())}, "
          f"dropped before taking effect {len(standin.dropped())}")
    print("tickets by reason " + ", ".join(f"{reason} {n}" for reason, n in sorted(reasons)))
    lost = len(lost_dms) + len(lost_comments) + len(not_done)
    print(f"LOST {lost}   SENT TWICE {len(sent_twice)}   MORE THAN ONE OUTCOME {len(outcomes_twice)}")
    return 0 if lost == 0 and not sent_twice and not outcomes_twice else 1


if __name__ == "__main__":
    raise SystemExit(main())
