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
CALL = {"next_action": "action_answer_faq", "sender_id": "bench",
        "tracker": {"sender_id": "bench", "slots": {}, "events": [],
                    "latest_message": {"text": "换屏多少钱", "intent": {"name": "ask_repair_price", "confidence": 0.9},
                                       "entities": []}}, "domain": {}}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


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
            for _ in range(20):
                requests.post(f"http://127.0.0.1:{port}/webhook", json=CALL, timeout=30).raise_for_status()
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
