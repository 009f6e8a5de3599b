"""Engine and session factories, and schema migration to the newest version.

SQLite is the embedded default; PostgreSQL is used through a database URL. Nothing connects at
import time: callers create an engine from settings and pass sessions down.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return parsed.database
    return None


def _ensure_sqlite_dir(url: str) -> None:
    """SQLite creates the file but not its folder (the default lives under var/)."""
    path = _sqlite_file(url)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _one_transaction_at_a_time(engine: Engine) -> None:
    """Threads of one process take turns on a SQLite file instead of colliding in it.

    SQLite has one writer at a time, and a blocked writer polls with sleeps of up to 100 ms
    (busy_timeout). A lock held from BEGIN to COMMIT/ROLLBACK makes the threads of one process
    queue and wake as soon as the turn is free instead; other processes (the action server, the
    console) are still arbitrated by SQLite itself.
    """
    lock = threading.RLock()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:  # noqa: ANN001
        lock.acquire()

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(conn) -> None:  # noqa: ANN001
        lock.release()


def make_engine(url: str) -> Engine:
    from sqlalchemy import create_engine

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _ensure_sqlite_dir(url)
        # A file database keeps a pool of open connections: SQLAlchemy 1.4 opens and closes one per
        # transaction for SQLite files, with our PRAGMAs each time, which under load took about as
        # long as the statements themselves. An in-memory database stays on its single connection.
        pool = {"poolclass": QueuePool, "pool_size": 8, "max_overflow": 8} if _sqlite_file(url) else {}
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False, "timeout": 30}, **pool)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            # WAL lets readers work while a writer commits; foreign keys are off by default.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL survives application crashes (only a power cut can lose the newest
            # commits) and saves an fsync per commit, several per message on the live path.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        if pool:
            _one_transaction_at_a_time(engine)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, future=True, expire_on_commit=False)


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database schema to `revision` (idempotent)."""
    from alembic import command

    _ensure_sqlite_dir(url)
    command.upgrade(alembic_config(url), revision)
