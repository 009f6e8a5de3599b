"""Prometheus metrics of one server: what it decided and delivered (counters kept as it works)
and the state of the shared database (read when scraped), for the dashboards and alerts of
docs/deploy.md.

Each server has its own registry (no process-global state, so tests and several services in one
process do not collide) and serves it on a loopback port of its own: the load balancer never
forwards to it, a Prometheus on the same host (or through an SSH tunnel) scrapes it.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.store.tables import OPEN_SQL, RECEIVED, inbox, outbox, tickets
from bot.weibo.loops import Heartbeats

log = logging.getLogger(__name__)
PREFIX = "weibo_bot"


class ServiceMetrics:
    """The counters the loops update; `registry` is what the endpoint serves."""

    def __init__(self) -> None:
        self._server = None
        self.registry = CollectorRegistry()
        self.outcomes = Counter(f"{PREFIX}_outcomes", "Messages decided, by action and owning department",
                                ["action", "department"], registry=self.registry)
        self.deliveries = Counter(f"{PREFIX}_deliveries", "Reply sends by channel and result "
                                  "(sent, retry, repeated, failed, uncertain)", ["channel", "result"],
                                  registry=self.registry)
        self.processing_retries = Counter(f"{PREFIX}_processing_retries", "Decisions abandoned and retried "
                                          "(Rasa or the action server failed or was too slow)", registry=self.registry)
        self.recovered_sends = Counter(f"{PREFIX}_recovered_sends", "Sends a dead worker left in flight, "
                                       "flagged uncertain with a ticket", registry=self.registry)
        self.decide_seconds = Histogram(f"{PREFIX}_decide_seconds", "Claim to committed decision, per message",
                                        buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
                                        registry=self.registry)

    def watch(self, factory: sessionmaker[Session], heartbeats: Heartbeats, worker_id: str,
              polling: Callable[[], bool]) -> None:
        """Add the gauges read at scrape time: the shared queues and this server's loops."""
        self.registry.register(StateCollector(factory, heartbeats, worker_id, polling))

    def serve(self, port: int, host: str = "127.0.0.1") -> bool:
        """Serve the registry on `host:port` in a thread; False (logged) when the port is taken:
        metrics must never keep the bot from answering."""
        try:
            self._server, _ = start_http_server(port, addr=host, registry=self.registry)
        except OSError as exc:
            log.error("metrics not served: %s:%s: %s (set BOT_METRICS_PORT to a free port)", host, port, exc)
            return False
        log.info("metrics on http://%s:%s/metrics", host, port)
        return True

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _age_seconds(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (datetime.now(timezone.utc) - moment).total_seconds())


class StateCollector(Collector):
    """Gauges from the database, shared by all replicas (every server reports the same queue), and
    from this server's loops."""

    def __init__(self, factory: sessionmaker[Session], heartbeats: Heartbeats, worker_id: str,
                 polling: Callable[[], bool]) -> None:
        self.factory = factory
        self.heartbeats = heartbeats
        self.worker_id = worker_id
        self.polling = polling

    def collect(self) -> Iterator[GaugeMetricFamily]:
        started = time.monotonic()
        try:
            yield from self._database()
            up = 1.0
        except Exception:
            log.warning("metrics: the database could not be read", exc_info=True)
            up = 0.0
        yield GaugeMetricFamily(f"{PREFIX}_database_up", "1 when the last scrape could read the database", up)
        yield GaugeMetricFamily(f"{PREFIX}_scrape_database_seconds", "Time the database reads of this scrape took",
                                time.monotonic() - started)
        yield from self._loops()

    def _database(self) -> Iterator[GaugeMetricFamily]:
        with self.factory() as session:
            oldest = session.execute(select(func.min(inbox.c.created_at)).where(inbox.c.status != "done")).scalar()
            inbox_counts = session.execute(select(inbox.c.status, func.count()).group_by(inbox.c.status)).all()
            outbox_counts = session.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status)).all()
            open_tickets = session.execute(select(tickets.c.department, func.count()).where(text(OPEN_SQL))
                                           .group_by(tickets.c.department)).all()
        yield GaugeMetricFamily(f"{PREFIX}_inbox_lag_seconds", "Age of the oldest message not yet decided "
                                "(0 when none waits)", _age_seconds(oldest))
        backlog = dict(inbox_counts).get(RECEIVED, 0)
        yield GaugeMetricFamily(f"{PREFIX}_inbox_backlog", "Messages stored and not yet claimed", backlog)
        for name, doc, rows, label in (
                ("inbox_messages", "Inbox rows by status", inbox_counts, "status"),
                ("outbox_replies", "Outbox rows by status (uncertain: may have reached the fan, never resent)",
                 outbox_counts, "status"),
                ("open_tickets", "Open tickets by department", open_tickets, "department")):
            family = GaugeMetricFamily(f"{PREFIX}_{name}", doc, labels=[label])
            for key, count in rows:
                family.add_metric([str(key)], count)
            yield family

    def _loops(self) -> Iterator[GaugeMetricFamily]:
        age = GaugeMetricFamily(f"{PREFIX}_loop_last_pass_seconds", "Seconds since each loop's last completed pass",
                                labels=["loop"])
        stale = GaugeMetricFamily(f"{PREFIX}_loop_stale", "1 when a loop missed its allowance (health answers 503)",
                                  labels=["loop"])
        restarts = GaugeMetricFamily(f"{PREFIX}_loop_restarts", "Times each loop failed and was started again",
                                     labels=["loop"])
        for name, state in self.heartbeats.report().items():
            age.add_metric([name], state["last_pass_seconds_ago"])
            stale.add_metric([name], 1.0 if state["stale"] else 0.0)
            restarts.add_metric([name], state["restarts"])
        yield age
        yield stale
        yield restarts
        info = GaugeMetricFamily(f"{PREFIX}_worker", "This server's worker id (in leases and events)", labels=["worker"])
        info.add_metric([self.worker_id], 1.0)
        yield info
        yield GaugeMetricFamily(f"{PREFIX}_comment_poller", "1 while this server holds the comment poller's lease "
                                "(exactly one server should)", 1.0 if self.polling() else 0.0)
