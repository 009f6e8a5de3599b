"""Delivery: outbox -> Weibo, with the documented semantics (docs/architecture.md, client.py).

A reply is sent at most once: connection failures and 5xx are retried with backoff, a call that
may have reached Weibo is never resent (`uncertain`, a ticket), a refusal is `failed` with a ticket,
and a comment Weibo refuses as a repeat of the previous one goes again with a staff-written
lead-in. A failed operator reply sends its own ticket back to the queue.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.faq.model import COMMENT
from bot.store import messages as box
from bot.store import queue
from bot.store.tables import FAILED, SENT, UNCERTAIN, inbox
from bot.weibo.client import PermanentError, RepeatedError, TransientError, UncertainError, WeiboClient
from bot.weibo.loops import Heartbeats
from bot.weibo.metrics import ServiceMetrics
from bot.weibo.variants import LeadIns, vary

log = logging.getLogger(__name__)
FALLBACK_DEPARTMENT = "after_sales"  # first-line team for messages the bot could not classify
DELIVERY_BATCHES_IN_FLIGHT = 8
RECOVER_EVERY_SECONDS = 10.0
# A reply that will not be sent again: its outbox status and the reason on its ticket.
UNDELIVERED = {UncertainError: (UNCERTAIN, "delivery_uncertain"), PermanentError: (FAILED, "delivery_rejected")}
T = TypeVar("T")


def db_runner(factory: sessionmaker[Session]) -> Callable[..., Awaitable[Any]]:
    """How the loops call the database. SQLite calls take a fraction of a millisecond and run right
    on the event loop: handed to threads they queued for the GIL and for each other (moving them
    here took the `make load` p95 from about 275 to 235 ms). A database server's round trips go to
    a thread."""
    bind = factory.kw.get("bind")
    inline = bind is not None and bind.dialect.name == "sqlite"

    async def run(fn: Callable[..., T], *args: Any) -> T:
        if inline:
            return fn(*args)
        return await asyncio.to_thread(fn, *args)

    return run


def parse_outcome(outcome: str | None) -> tuple:
    action, _, department = (outcome or "").partition("/")
    return action, department or None


class Delivery:
    """The outbox worker of one process."""

    def __init__(self, factory: sessionmaker[Session], client: WeiboClient, heartbeats: Heartbeats,
                 worker_id: str, metrics: ServiceMetrics, lead_ins: Path | None = None) -> None:
        self.metrics = metrics
        self.factory = factory
        self.worker_id = worker_id
        self.sending: set = set()  # outbox ids this worker has claimed and not yet settled: the sends it renews
        self.client = client
        self.heartbeats = heartbeats
        self._db = db_runner(factory)
        self._lead_ins = LeadIns(lead_ins) if lead_ins is not None else None
        self._last_comment = ""  # the text of this process's last comment reply (Weibo's repeat rule)
        self._outbox_event = asyncio.Event()

    def wake(self) -> None:
        """New replies are queued: look now instead of at the next tick."""
        self._outbox_event.set()

    def recover(self) -> None:
        """Replies a dead worker left mid-send may have reached Weibo; a human checks each. Run at
        start and every RECOVER_EVERY_SECONDS, so a worker's crash is noticed while others run on."""
        def ticket(session: Session, row: Dict[str, Any]) -> None:
            self._ticket_for_reply_in(session, row, "delivery_uncertain", "interrupted while sending")

        flagged = queue.in_transaction(self.factory, lambda session: box.recover_sends(session, ticket),
                                       "the replies a dead worker left")
        self.metrics.recovered_sends.inc(len(flagged))

    async def loop(self) -> None:
        """Claimed batches are sent concurrently (up to DELIVERY_BATCHES_IN_FLIGHT): a new reply
        does not wait for the previous batch's slowest send and its bookkeeping."""
        in_flight: set = set()
        recovered_at = asyncio.get_running_loop().time()  # start() has just recovered
        try:
            while True:
                self._outbox_event.clear()  # before the claim, as in the process loop
                if len(in_flight) >= DELIVERY_BATCHES_IN_FLIGHT:
                    await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                if asyncio.get_running_loop().time() - recovered_at > RECOVER_EVERY_SECONDS:
                    recovered_at = asyncio.get_running_loop().time()
                    await self._db(self.recover)
                rows = await self._db(box.claim_due, self.factory, 20, self.worker_id)
                self.heartbeats.beat("deliver")
                if rows:
                    task = asyncio.create_task(self.deliver_batch(rows))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                    continue
                wait = await self._db(box.next_due_in, self.factory)
                try:
                    await asyncio.wait_for(self._outbox_event.wait(), timeout=min(wait if wait is not None else 1.0, 1.0))
                except asyncio.TimeoutError:
                    pass
        finally:
            for task in in_flight:
                task.cancel()  # rows caught mid-send stay `sending`: uncertain past their deadline, never resent

    async def deliver_batch(self, rows: List[Dict[str, Any]]) -> None:
        """Send claimed replies together and mark the delivered ones sent in one transaction."""
        self.sending.update(row["id"] for row in rows)
        try:
            sent = await asyncio.gather(*(self.deliver(row) for row in rows))
            delivered = [row["id"] for row, ok in zip(rows, sent) if ok]
            if delivered:
                await self._db(box.mark_sent, self.factory, self.worker_id, *delivered)
        except Exception:
            # Rows left `sending` are recovered as uncertain once their deadline passes: never resent.
            log.exception("delivering %d replies failed", len(rows))
        finally:
            self.sending.difference_update(row["id"] for row in rows)

    async def deliver(self, row: Dict[str, Any]) -> bool:
        """Send one claimed reply; True when Weibo took it (the caller marks it sent), else the row
        is scheduled for a retry (a variant, after a repeat) or done with, with a ticket."""
        result = await self._send(row)
        self.metrics.deliveries.labels(row["channel"], result).inc()
        return result == SENT

    async def _send(self, row: Dict[str, Any]) -> str:
        """What became of one send: sent, repeated, retry, failed or uncertain."""
        try:
            if row["channel"] == COMMENT:
                text = row["text"]
                variant = self._variant(text) if text == self._last_comment else None
                if variant:
                    text = variant
                    await self._db(box.set_text, self.factory, row["id"], text)  # the outbox says what was sent
                await self.client.reply_comment(row["comment_id"], row["post_id"], text)
                self._last_comment = text
            else:
                await self.client.send_dm(row["receiver_id"], row["text"])
        except RepeatedError as exc:
            variant = self._variant(row["text"]) if row["channel"] == COMMENT else None
            if variant is None:
                await self._db(self._undelivered, row, FAILED, "delivery_rejected", str(exc))
                return FAILED
            await self._db(box.mark_retry, self.factory, self.worker_id, row["id"], 0.0, str(exc), variant)
            self._outbox_event.set()
            return "repeated"
        except TransientError as exc:
            delay = box.retry_delay(row["attempts"])
            if delay is None:
                await self._db(self._undelivered, row, FAILED, "delivery_failed", str(exc))
                return FAILED
            await self._db(box.mark_retry, self.factory, self.worker_id, row["id"], delay, str(exc))
            return "retry"
        except (UncertainError, PermanentError) as exc:
            status, reason = UNDELIVERED[type(exc)]
            await self._db(self._undelivered, row, status, reason, str(exc))
            return status
        return SENT

    def _variant(self, text: str) -> str | None:
        return vary(text, self._lead_ins.items()) if self._lead_ins is not None else None

    def _undelivered(self, row: Dict[str, Any], status: str, reason: str, error: str) -> None:
        """The reply will not be sent again: its status and the human's ticket in one transaction."""
        with self.factory.begin() as session:
            if box.mark_undelivered(session, self.worker_id, row["id"], status, error):
                self._ticket_for_reply_in(session, row, reason, error)

    def _ticket_for_reply_in(self, session: Session, row: Dict[str, Any], reason: str, error: str) -> None:
        if row.get("ticket_id"):
            # An operator's reply: their own ticket waits again, with the reason on it.
            queue.reply_failed(session, row["ticket_id"], f"{reason}: {error}")
            return
        department = FALLBACK_DEPARTMENT
        original = row["text"]
        conversation = row["receiver_id"]
        target = queue.reply_target(row["receiver_id"], {"cid": row.get("comment_id"), "post_id": row.get("post_id")})
        if row.get("inbox_id"):
            inbound = session.execute(select(inbox).where(inbox.c.id == row["inbox_id"])).mappings().one()
            department = parse_outcome(inbound["outcome"])[1] or department
            original, conversation = inbound["text"], inbound["conversation_id"]
        queue.submit_in(session, queue.NewTicket(
            channel=row["channel"], fan_id=row["receiver_id"], conversation_id=f"{row['channel']}:{conversation}",
            department=department, reason=reason, original_text=original,
            normalised_text=f"（未送达的回复）{row['text']}", priority=1, reply_target=target))
