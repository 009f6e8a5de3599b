"""Load test of the live path: N signed DM pushes, K in flight, against `bot serve` and the stand-in.

Starts the Weibo stand-in and `bot serve --no-console` on loopback ports with a fresh SQLite
database, then keeps K conversations in flight (a worker pushes a DM and waits until its reply
reaches the stand-in or the message is settled without one). Prints accepted, replied,
escalated, lost, duplicated, and p50/p95 from push to reply received by the stand-in.
usage: .venv/bin/python scripts/load_weibo.py [--messages 1000] [--in-flight 20 | --rate 30]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.store.db import make_engine, make_session_factory  # noqa: E402
from bot.store.tables import inbox, outbox  # noqa: E402
from bot.weibo.api import DM_REPLY  # noqa: E402
from bot.weibo.signature import sign  # noqa: E402
from bot.weibo.standin import WeiboStandIn  # noqa: E402
from scripts.bench_data import messages  # noqa: E402
from scripts.procs import process_tree_rss  # noqa: E402
from tests.helpers import BIN, free_port, start, stop, wait_http  # noqa: E402

SECRET, TOKEN = "load-secret", "load-token"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--in-flight", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for one message")
    parser.add_argument("--rate", type=float, help="push at this steady rate (DMs a second) instead of "
                                                    "keeping --in-flight conversations going")
    parser.add_argument("--database-url", help="default: a fresh SQLite file; e.g. a PostgreSQL URL")
    args = parser.parse_args()
    os.chdir(ROOT)
    tmp = Path(tempfile.mkdtemp(prefix="weibo-load-"))
    standin = WeiboStandIn(access_token=TOKEN).start()
    rasa_port = free_port()
    db_url = args.database_url or f"sqlite:///{tmp / 'bot.sqlite3'}"
    env = {"WEIBO_APP_SECRET": SECRET, "WEIBO_ACCESS_TOKEN": TOKEN, "WEIBO_API_BASE": standin.base_url,
           "WEIBO_POLL_SECONDS": "60", "BOT_DATABASE_URL": db_url, "BOT_DATA_DIR": str(tmp),
           "BOT_RASA_PORT": str(rasa_port), "BOT_ACTIONS_PORT": str(free_port())}
    launched = time.monotonic()
    proc = start([str(BIN / "bot"), "serve", "--no-console"], env, tmp / "serve.log")
    try:
        wait_http(f"http://127.0.0.1:{rasa_port}/webhooks/weibo/", timeout=240, proc=proc)
        cold_start = time.monotonic() - launched
        hook = f"http://127.0.0.1:{rasa_port}/webhooks/weibo/webhook"
        factory = make_session_factory(make_engine(db_url))
        texts = [t for _, t in messages(args.messages, seed=11)]
        first_reply: dict = {}
        reply_count: dict = {}
        done_senders: set = set()
        events = {7_000_000 + i: threading.Event() for i in range(args.messages)}
        stop_monitor = threading.Event()

        lock = threading.Lock()
        waiting: set = set()  # senders pushed and not yet settled: what the monitor checks

        def monitor() -> None:
            """One thread watches the stand-in and the database, and wakes the waiting workers.

            It queries only the senders still waiting (at most --in-flight), so its own cost, on the
            same two cores as the service, does not grow with the number of messages sent."""
            seen = 0
            last_db = 0.0
            while not stop_monitor.is_set():
                for call in standin.received(DM_REPLY, start=seen):
                    seen += 1
                    sender = int(call["form"]["receiver_id"])
                    reply_count[sender] = reply_count.get(sender, 0) + 1
                    if sender not in first_reply:
                        first_reply[sender] = call["time"]
                        if sender in events:
                            events[sender].set()
                with lock:
                    check = [str(s) for s in waiting if s not in first_reply]
                if check and time.monotonic() - last_db > 0.05:
                    last_db = time.monotonic()
                    with factory() as session:
                        rows = session.execute(select(inbox.c.sender_id).where(
                            inbox.c.status == "done", inbox.c.sender_id.in_(check))).scalars().all()
                        pending = set(session.execute(select(outbox.c.receiver_id).where(
                            outbox.c.status.in_(["pending", "sending"]), outbox.c.receiver_id.in_(check))).scalars().all())
                    for sender in rows:
                        if sender not in pending and int(sender) not in done_senders:
                            done_senders.add(int(sender))
                            if int(sender) in events:
                                events[int(sender)].set()
                time.sleep(0.005)

        http = requests.Session()
        pushed_at: dict = {}
        accepted = [0]

        def one(i: int) -> None:
            sender = 7_000_000 + i
            ts, nonce = str(int(time.time() * 1000)), uuid.uuid4().hex[:8]
            body = {"type": "text", "receiver_id": 9000, "sender_id": sender,
                    "created_at": time.strftime("%a %b %d %H:%M:%S +0800 %Y"), "text": texts[i], "data": {}}
            pushed_at[sender] = time.time()
            with lock:
                waiting.add(sender)
            response = http.post(hook, params={"signature": sign(SECRET, ts, nonce), "timestamp": ts, "nonce": nonce},
                                 data=json.dumps(body, ensure_ascii=False).encode(), timeout=10)
            if response.status_code == 200:
                with lock:
                    accepted[0] += 1
                events[sender].wait(args.timeout)
            with lock:
                waiting.discard(sender)

        watcher = threading.Thread(target=monitor, daemon=True)
        watcher.start()
        started = time.time()
        if args.rate:
            with ThreadPoolExecutor(max(args.in_flight, int(args.rate * 5))) as pool:
                futures = []
                for i in range(args.messages):
                    time.sleep(max(0.0, started + i / args.rate - time.time()))
                    futures.append(pool.submit(one, i))
                for future in futures:
                    future.result()
        else:
            with ThreadPoolExecutor(args.in_flight) as pool:
                list(pool.map(one, range(args.messages)))
        elapsed = time.time() - started
        time.sleep(2.0)
        stop_monitor.set()
        watcher.join(5)
        for call in standin.received(DM_REPLY, start=sum(reply_count.values())):
            sender = int(call["form"]["receiver_id"])
            reply_count[sender] = reply_count.get(sender, 0) + 1
        with factory() as session:
            rows = session.execute(select(inbox.c.sender_id, inbox.c.status, inbox.c.outcome)).all()
        done = {int(r.sender_id): r for r in rows if r.status == "done"}
        escalated = sum(1 for r in done.values() if (r.outcome or "").startswith(("handoff", "human_takeover")))
        lost = sum(1 for i in range(args.messages) if 7_000_000 + i not in done)
        duplicated = sum(1 for c in reply_count.values() if c > 1)
        latencies = sorted((first_reply[s] - pushed_at[s]) * 1000 for s in first_reply if s in pushed_at)
        pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")  # noqa: E731
        mode = f"steady {args.rate:g}/s" if args.rate else f"in flight {args.in_flight}"
        print(f"messages {args.messages}, {mode}, wall {elapsed:.1f}s "
              f"({args.messages / elapsed:.1f} msg/s)")
        print(f"accepted {accepted[0]}  replied {len(first_reply)}  escalated {escalated}  "
              f"no-reply (ignore/social) {len(done) - len(first_reply) - escalated}  lost {lost}  duplicated {duplicated}")
        print(f"push -> reply received: p50 {pct(0.50):.0f} ms  p95 {pct(0.95):.0f} ms  max {latencies[-1] if latencies else 0:.0f} ms")
        print(f"cold start to healthy: {cold_start:.1f} s")
        sizes = process_tree_rss(proc.pid)
        print("resident memory after the run: " + ", ".join(f"{name} {mb:.0f} MB" for name, mb in sizes)
              + f"; total {sum(mb for _, mb in sizes):.0f} MB")
        return 0 if lost == 0 and duplicated == 0 else 1
    finally:
        stop(proc)
        standin.stop()


if __name__ == "__main__":
    sys.exit(main())
