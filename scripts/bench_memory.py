"""Resident memory of the action server as `bot serve` starts it, after it answered once.

Prints the figure (target: under 300 MB) and whether Rasa's NLU stack or TensorFlow got loaded.
Usage: .venv/bin/python scripts/bench_memory.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.weibo.actions_call import ActionCaller  # noqa: E402
from scripts.procs import rss_mb  # noqa: E402


def action_call() -> dict:
    """The body the Weibo channel sends the action server (bot/weibo/actions_call.py)."""
    caller = ActionCaller("", {"ask_repair_price": "action_answer_faq"}, "weibo", timeout=30)
    parse = {"intent": {"name": "ask_repair_price", "confidence": 0.9}, "entities": []}
    return caller.request("bench", "换屏多少钱", parse, {})


def main() -> int:
    port = 5959
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SANIC_HOST": "127.0.0.1", "BOT_DATABASE_URL": f"sqlite:///{tmp}/q.sqlite3"}
        proc = subprocess.Popen([sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
                    break
                except requests.ConnectionError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise SystemExit("the action server did not start") from None
                    time.sleep(0.5)
            call = action_call()
            for _ in range(20):
                requests.post(f"http://127.0.0.1:{port}/webhook", json=call, timeout=30).raise_for_status()
            print(f"action server resident memory after 20 calls: {rss_mb(proc.pid):.0f} MB (target < 300 MB)")
        finally:
            proc.terminate()
            proc.wait(10)
    probe = "import sys, actions.actions; print('tensorflow' in sys.modules, 'rasa.nlu' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True).stdout.split()
    print(f"importing the actions loads TensorFlow: {loaded[0]}, Rasa NLU: {loaded[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
