"""Where Rasa keeps conversation trackers, and how they expire.

Rasa's default in-memory store keeps every fan's tracker for the life of the process: memory
grows with every fan who ever wrote. Trackers go instead to the SQL database (`SqlTrackerStore`,
table `trackers`: one row per conversation, forgotten once idle for BOT_TRACKER_TTL_HOURS), and to
Redis, which expires them itself (`record_exp`) and shares them between Rasa servers, when
BOT_REDIS_URL is set.

Not Rasa's own SQLTrackerStore: it runs its ORM on the server's event loop, one row per event,
and under `make load` (1,000 DMs, 20 in flight, this 2-core machine) took the p95 from 180 to
282 ms, or 450 ms with its calls moved to threads. This store reads and writes one row per
message with statements compiled once. With SQLite it uses a file of its own next to the
product's database, so its writes never wait for the inbox's.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Engine, make_url

from bot.store.tables import trackers

STORE_TYPE = "bot.weibo.trackers.SqlTrackerStore"
DEFAULT_TTL_SECONDS = 24 * 3600.0
PURGE_EVERY_SECONDS = 600.0

_GET = select(trackers.c.tracker).where(trackers.c.sender_id == bindparam("sender"))
_UPDATE = update(trackers).where(trackers.c.sender_id == bindparam("sender")).values(
    tracker=bindparam("tracker"), updated_at=bindparam("now"))
_INSERT = insert(trackers)
_PURGE = delete(trackers).where(trackers.c.updated_at < bindparam("cutoff"))


def tracker_database_url(database_url: str, data_dir: Path) -> str:
    """The trackers' database: the product's, except that SQLite gets a file of its own."""
    if make_url(database_url).get_backend_name() == "sqlite":
        return f"sqlite:///{Path(data_dir) / 'trackers.sqlite3'}"
    return database_url


class SqlTrackers(MutableMapping):
    """Serialised trackers by conversation, in the `trackers` table; idle ones are purged."""

    def __init__(self, engine: Engine, ttl_seconds: float, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._purged_at = 0.0
        self._just_read: tuple | None = None  # (sender, tracker) of the last membership test
        trackers.create(engine, checkfirst=True)  # a SQLite file of its own has no migrations run on it

    def __getitem__(self, sender: str) -> str:
        # Rasa asks `sender in store` and then `store[sender]` with no await between: the row the
        # membership test read serves the lookup that follows, instead of a second SELECT.
        found, self._just_read = self._just_read, None
        if found is not None and found[0] == sender:
            return found[1]
        value = self._read(sender)
        if value is None:
            raise KeyError(sender)
        return value

    def __contains__(self, sender: object) -> bool:
        value = self._read(str(sender))
        self._just_read = (str(sender), value) if value is not None else None
        return value is not None

    def _read(self, sender: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(_GET, {"sender": sender}).scalar()

    def __setitem__(self, sender: str, serialised: str) -> None:
        self._just_read = None
        now = self._clock()
        with self.engine.begin() as conn:
            # Rasa's lock store serialises the messages of one conversation: no two writers here.
            if conn.execute(_UPDATE, {"sender": sender, "tracker": serialised, "now": now}).rowcount == 0:
                conn.execute(_INSERT, {"sender_id": sender, "tracker": serialised, "updated_at": now})
            if now - self._purged_at >= PURGE_EVERY_SECONDS:
                self._purged_at = now
                conn.execute(_PURGE, {"cutoff": now - self.ttl_seconds})

    def __delitem__(self, sender: str) -> None:
        self._just_read = None
        with self.engine.begin() as conn:
            conn.execute(delete(trackers).where(trackers.c.sender_id == sender))

    def __iter__(self) -> Iterator[str]:
        with self.engine.connect() as conn:
            return iter(conn.execute(select(trackers.c.sender_id)).scalars().all())

    def __len__(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(trackers)).scalar())

    def purge(self) -> int:
        """Forget every conversation idle for the TTL now; returns how many."""
        with self.engine.begin() as conn:
            return conn.execute(_PURGE, {"cutoff": self._clock() - self.ttl_seconds}).rowcount


@lru_cache(maxsize=1)
def _store_class():  # noqa: ANN202
    from rasa.core.tracker_store import InMemoryTrackerStore

    from bot.store.db import make_engine

    class SqlTrackerStore(InMemoryTrackerStore):
        """Rasa's in-memory store with its dict replaced by the `trackers` table: the same
        serialisation and session handling, one row read and one written per message."""

        def __init__(self, domain, event_broker=None, db_url: str = "",  # noqa: ANN001
                     ttl_seconds: float = DEFAULT_TTL_SECONDS, **kwargs) -> None:  # noqa: ANN003
            kwargs.pop("host", None)  # Rasa passes a custom store's `url` as `host`; there is none
            super().__init__(domain, event_broker, **kwargs)
            if not db_url:
                raise ValueError("SqlTrackerStore needs db_url (bot serve writes it into endpoints.yml)")
            self.store = SqlTrackers(make_engine(db_url), float(ttl_seconds))

    return SqlTrackerStore


def __getattr__(name: str):  # noqa: ANN202
    # Rasa loads a custom tracker store by its dotted path; building the class imports Rasa, which
    # only the Rasa server process should pay for.
    if name == "SqlTrackerStore":
        return _store_class()
    raise AttributeError(name)
