"""Background loops that cannot die silently.

Each loop of the Weibo service runs under `supervise`: an exception is logged, the loop waits
(backing off up to MAX_BACKOFF_SECONDS) and starts again. Each loop reports every pass it
completes to `Heartbeats`; the health endpoint answers 503 when a loop's last pass is older than
its allowance, so a load balancer stops sending work to a process whose loop is stuck.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict

log = logging.getLogger(__name__)
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0


@dataclass
class LoopState:
    stale_after: float
    last_pass: float
    restarts: int = 0
    last_error: str = ""


class Heartbeats:
    """The last completed pass of each loop (monotonic clock)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._loops: Dict[str, LoopState] = {}

    def register(self, name: str, stale_after: float) -> None:
        self._loops[name] = LoopState(stale_after, self._clock())

    def beat(self, name: str) -> None:
        self._loops[name].last_pass = self._clock()

    def failed(self, name: str, error: str) -> None:
        state = self._loops[name]
        state.restarts += 1
        state.last_error = error[:300]

    def report(self) -> Dict[str, Dict[str, Any]]:
        now = self._clock()
        return {name: {"last_pass_seconds_ago": round(now - s.last_pass, 1), "stale": now - s.last_pass > s.stale_after,
                       "restarts": s.restarts, "last_error": s.last_error} for name, s in self._loops.items()}

    def stale(self) -> list:
        return [name for name, state in self.report().items() if state["stale"]]


async def supervise(name: str, body: Callable[[], Awaitable[None]], heartbeats: Heartbeats,
                    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
    """Run `body` (a loop that normally never returns) again whenever it fails; cancellation stops it."""
    backoff = FIRST_BACKOFF_SECONDS
    while True:
        started = time.monotonic()
        try:
            await body()
            log.warning("loop %s returned; starting it again", name)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            heartbeats.failed(name, f"{type(exc).__name__}: {exc}")
            log.exception("loop %s failed; restarting in %.1f s", name, backoff)
        # A loop that ran well for a while before failing starts again quickly.
        backoff = FIRST_BACKOFF_SECONDS if time.monotonic() - started > MAX_BACKOFF_SECONDS else backoff
        await sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
