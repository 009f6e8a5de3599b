"""Where Rasa keeps conversation trackers, and how they expire.

Rasa's default in-memory store keeps every fan's tracker for the life of the process: memory
grows with every fan who ever wrote. The bot decides each message on its own (the action reads
only the latest message), so a tracker matters only while its message is being handled. Trackers
therefore live in `ExpiringTrackerStore`, in memory, forgotten once idle for the TTL
(BOT_TRACKER_TTL_HOURS) and never more than MAX_TRACKERS of them; with BOT_REDIS_URL they go to
Redis, which expires them itself (`record_exp`) and shares them between Rasa servers.

Measured with `make load` (1,000 DMs, 20 in flight, this 2-core machine): in memory p95 180 ms;
Rasa's SQL tracker store on a SQLite file 282 ms (it runs SQLAlchemy on the server's event
loop), and 450 ms with those calls moved to threads (SQLite writers then poll for the lock).
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Callable, Dict

STORE_TYPE = "bot.weibo.trackers.ExpiringTrackerStore"
MAX_TRACKERS = 20_000
DEFAULT_TTL_SECONDS = 24 * 3600.0


def evict(store: Dict[str, str], saved_at: Dict[str, float], now: float, ttl_seconds: float,
          max_trackers: int) -> int:
    """Forget the least recently saved trackers that are idle for `ttl_seconds` or beyond the cap
    (`store` is ordered oldest save first); returns how many went."""
    gone = 0
    for sender in list(store):
        if len(store) <= max_trackers and now - saved_at.get(sender, now) <= ttl_seconds:
            break
        del store[sender]
        saved_at.pop(sender, None)
        gone += 1
    return gone


@lru_cache(maxsize=1)
def _store_class():  # noqa: ANN202
    from rasa.core.tracker_store import InMemoryTrackerStore

    class ExpiringTrackerStore(InMemoryTrackerStore):
        """Rasa's in-memory store, bounded: idle trackers expire, the oldest go beyond the cap."""

        def __init__(self, domain, event_broker=None, ttl_seconds: float = DEFAULT_TTL_SECONDS,  # noqa: ANN001
                     max_trackers: int = MAX_TRACKERS, clock: Callable[[], float] = time.monotonic,
                     **kwargs) -> None:  # noqa: ANN003
            kwargs.pop("host", None)  # Rasa passes a custom store's `url` as `host`; there is none
            super().__init__(domain, event_broker, **kwargs)
            self.ttl_seconds = float(ttl_seconds)
            self.max_trackers = int(max_trackers)
            self._clock = clock
            self._saved_at: Dict[str, float] = {}

        async def save(self, tracker) -> None:  # noqa: ANN001
            self.store.pop(tracker.sender_id, None)  # re-inserted last: the dict stays in save order
            await super().save(tracker)
            now = self._clock()
            self._saved_at[tracker.sender_id] = now
            evict(self.store, self._saved_at, now, self.ttl_seconds, self.max_trackers)

    return ExpiringTrackerStore


def __getattr__(name: str):  # noqa: ANN202
    # Rasa loads a custom tracker store by its dotted path; building the class imports Rasa, which
    # only the Rasa server process should pay for.
    if name == "ExpiringTrackerStore":
        return _store_class()
    raise AttributeError(name)
