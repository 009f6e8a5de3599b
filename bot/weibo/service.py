"""The Weibo side of the running service: store pushes and polled comments, run them through
Rasa, and deliver replies through the outbox.

Loops share one database: the processor (inbox -> Rasa -> outbox, under leases the lease loop
renews), the delivery worker (outbox -> Weibo API, bot/weibo/delivery.py) and the comment
poller. They run inside the Rasa server process, started by the `weibo` input channel, so the
processor can hand messages to Rasa directly; each runs supervised (bot/weibo/loops.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import socket
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List

from sqlalchemy.orm import Session, sessionmaker

from bot.errors import LeaseLost
from bot.faq.model import COMMENT, DM
from bot.intents import IGNORE
from bot.outcome import HANDOFF_ACTION, R_EMPTY
from bot.respond import OUTCOME_KEY, REPORT_METADATA
from bot.store import decisions, leases, queue
from bot.store import messages as box
from bot.store.decisions import Decision
from bot.text import NormalisedText, normalise
from bot.weibo.actions_call import ActionCaller
from bot.weibo.api import (
    COMMENT_MAX_CHARS,
    COMMENTS_MENTIONS,
    COMMENTS_TO_ME,
    DM_MAX_CHARS,
    FEED_PAGE_SIZE,
    INPUT_CHANNEL,
    MAX_PAGES_PER_POLL,
    WEIBO_TIME_FORMAT,
)
from bot.weibo.client import PermanentError, TransientError, WeiboClient
from bot.weibo.delivery import FALLBACK_DEPARTMENT, Delivery, db_runner
from bot.weibo.loops import Heartbeats, supervise
from bot.weibo.metrics import ServiceMetrics

log = logging.getLogger(__name__)
WELCOME = "感谢关注云雀手机！有问题可以直接私信我们，我们会尽快回复。"
PROCESS_CONCURRENCY = 32
FEEDS = {"comments_to_me": COMMENTS_TO_ME, "comments_mentions": COMMENTS_MENTIONS}
WARM_UP_TEXTS = ["你好", "X5 Pro 多少钱", "我的手机屏幕摔碎了，保修期内能免费换吗？订单是上个月在官网买的"]
WARM_UP_SECONDS = 15.0
# How long one message's decision may take (Rasa, then the action server) before the attempt is
# abandoned (the lease loop keeps the row this worker's meanwhile).
DECIDE_TIMEOUT_SECONDS = 60.0
# A loop whose last completed pass is older than this makes the health check answer 503.
LOOP_STALE_SECONDS = 30.0

Handler = Callable[[Any], Awaitable[Any]]
# Rasa parse data for many normalised texts at once (bot.nlu.parser.parse_dicts on the live agent).
BatchParser = Callable[[List[str]], List[Dict[str, Any]]]


def _posted_at(comment: Dict[str, Any]) -> float:
    """A comment's time as a Unix timestamp; one with an unreadable time counts as new."""
    try:
        return datetime.strptime(str(comment.get("created_at") or ""), WEIBO_TIME_FORMAT).timestamp()
    except ValueError:
        return float("inf")


def dedupe_key(sender_id: str, created_at: str, text: str) -> str:
    """Pushes carry no id: Weibo's retries repeat (sender, created_at, text)."""
    return "dm:" + hashlib.sha1(f"{sender_id}\x1f{created_at}\x1f{text}".encode()).hexdigest()


def reported_decision(messages: List[Dict[str, Any]]) -> Decision | None:
    """The decision the action handed back (see bot.respond.OUTCOME_KEY); None if no action ran."""
    reported = next((m["custom"][OUTCOME_KEY] for m in messages
                     if isinstance(m.get("custom"), dict) and OUTCOME_KEY in m["custom"]), None)
    return None if reported is None else decisions.decision_of(reported)


def new_worker_id() -> str:
    """Names the process in leases and events: which host, which process, which start."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class WeiboService:
    """The Weibo side of one Rasa server process: its loops, and the pushes its channel accepts."""

    def __init__(self, factory: sessionmaker[Session], client: WeiboClient, poll_seconds: float,
                 poll_comments: bool = True, backfill_hours: float = 0.0, lead_ins: Path | None = None,
                 worker_id: str | None = None, actions: ActionCaller | None = None,
                 metrics: ServiceMetrics | None = None) -> None:
        self.factory = factory
        self.metrics = metrics or ServiceMetrics()
        self.actions = actions  # the direct path to the action server for parsed messages
        self.worker_id = worker_id or new_worker_id()
        self.heartbeats = Heartbeats()
        self.delivery = Delivery(factory, client, self.heartbeats, self.worker_id, self.metrics, lead_ins)
        self.backfill_hours = backfill_hours
        self.client = client
        self.poll_seconds = poll_seconds
        self.poll_comments = poll_comments
        self._inbox_event = asyncio.Event()
        self._tasks: List[asyncio.Task] = []
        self._handler: Handler | None = None
        self._db = db_runner(factory)
        self._working: set = set()  # inbox ids this worker is deciding on: the leases it renews
        self._parse: BatchParser | None = None
        self.ready = False  # True once warmed up and processing (the channel's health check says so)
        self.polling = False  # True while this worker holds the comment poller's lease
        self.metrics.watch(factory, self.heartbeats, self.worker_id, lambda: self.polling)

    # ------------------------------------------------------------------ lifecycle
    async def start(self, handler: Handler, parse: BatchParser | None = None) -> None:
        self._handler = handler
        self._parse = parse
        self.delivery.recover()
        loops = {"process": (self._process_loop, LOOP_STALE_SECONDS), "deliver": (self.delivery.loop, LOOP_STALE_SECONDS),
                 "leases": (self._lease_loop, LOOP_STALE_SECONDS)}
        if self.poll_comments:
            loops["poll"] = (self._poll_loop, self.poll_seconds * 3 + LOOP_STALE_SECONDS)
        for name, (body, stale_after) in loops.items():
            self.heartbeats.register(name, stale_after)
            self._tasks.append(asyncio.create_task(supervise(name, body, self.heartbeats)))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.polling:
            try:  # another replica polls at once instead of after the lease runs out
                await self._db(leases.release, self.factory, leases.COMMENT_POLLER, self.worker_id)
            except Exception:
                log.warning("could not release the poller lease; it runs out by itself", exc_info=True)
        await self.client.close()
        if self.actions is not None:
            await self.actions.close()

    # ------------------------------------------------------------------ pushes
    async def accept_push(self, body: Dict[str, Any]) -> str:
        """Store a validated push; returns what happened (stored, duplicate, ignored)."""
        kind = body.get("type")
        sender = str(body["sender_id"])
        created = str(body.get("created_at") or "")
        if kind == "text":
            if await self._db(box.store_inbound, self.factory, dm_inbound(body)) is None:
                return "duplicate"
            self._inbox_event.set()
            return "stored"
        if kind == "event" and (body.get("data") or {}).get("subtype") in ("follow", "scan_follow"):
            key = f"follow:{sender}:{created}"
            if await self._db(box.enqueue_reply, self.factory, key, {"channel": DM, "receiver_id": sender, "text": WELCOME}):
                self.delivery.wake()
            return "welcomed"
        return "ignored"

    # ------------------------------------------------------------------ processing
    async def _warm_up(self) -> None:
        """Pay for the first NLU graph runs (TensorFlow traces its functions) and the action
        server's first call (it loads the FAQ) before the fans' first messages, which otherwise
        waited about a second. Waits a little for an action server that is still starting."""
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

        if self._parse is not None:
            for size in (1, 8, 32):
                await asyncio.to_thread(self._parse, (WARM_UP_TEXTS * size)[:size])
        deadline = asyncio.get_running_loop().time() + WARM_UP_SECONDS
        while True:
            collector = CollectingOutputChannel()
            # No inbox row, so nothing is stored or sent; a greeting is decided without a ticket.
            # A failing call must not end the loop before it starts: fans' messages then take the
            # retry-then-ticket path.
            try:
                await self._handler(UserMessage(WARM_UP_TEXTS[0], collector, "weibo-warm-up", input_channel=INPUT_CHANNEL,
                                                metadata={REPORT_METADATA: True}))
            except Exception:
                log.warning("the warm-up call failed", exc_info=True)
            if any(isinstance(m.get("custom"), dict) and OUTCOME_KEY in m["custom"] for m in collector.messages):
                return
            if asyncio.get_running_loop().time() > deadline:
                log.warning("the action server did not answer the warm-up call; processing anyway")
                return
            await asyncio.sleep(0.5)  # the action server is still starting

    async def _process_loop(self) -> None:
        if not self.ready:
            await self._warm_up()
            self.ready = True
            log.info("Weibo service ready (worker %s)", self.worker_id)
        limit = asyncio.Semaphore(PROCESS_CONCURRENCY)
        running: set = set()
        while True:
            # Cleared before the claim, not after: a push stored while the claim runs must not wait
            # for the time-out (that lost wake-up cost up to a second per message under load).
            self._inbox_event.clear()
            rows = await self._db(box.claim_inbound, self.factory, PROCESS_CONCURRENCY * 2, self.worker_id)
            self.heartbeats.beat("process")
            if not rows:
                try:
                    await asyncio.wait_for(self._inbox_event.wait(), timeout=1.0)
                except asyncio.TimeoutError:
                    pass
                continue
            messages = {row["id"]: normalise(row["text"]) for row in rows}
            parsed = await self._parse_rows(messages)
            self._working.update(row["id"] for row in rows)
            for row in rows:
                await limit.acquire()
                task = asyncio.create_task(self._process_guarded(row, messages[row["id"]], parsed.get(row["id"]),
                                                                 limit))
                running.add(task)
                task.add_done_callback(running.discard)

    async def _lease_loop(self) -> None:
        """Keeps this worker's inbox leases and send deadlines alive while it works on them (a
        decision can take longer than a lease); a worker that dies stops renewing and its rows go
        to another (its sends in flight become uncertain, never resent)."""
        while True:
            await self._db(box.renew_leases, self.factory, self.worker_id, sorted(self._working))
            await self._db(box.renew_sends, self.factory, self.worker_id, sorted(self.delivery.sending))
            self.heartbeats.beat("leases")
            await asyncio.sleep(box.LEASE_SECONDS / 3)

    async def _parse_rows(self, messages: Dict[int, NormalisedText]) -> Dict[int, Dict[str, Any]]:
        """One NLU graph run for the whole claimed batch instead of one per message (Rasa's own
        parse); if it fails, Rasa parses each message itself."""
        if self._parse is None:
            return {}
        texts = {inbox_id: m.text for inbox_id, m in messages.items() if not m.is_empty}
        try:
            parsed = await asyncio.to_thread(self._parse, list(texts.values()))
        except Exception:
            log.exception("batch parse of %d messages failed; Rasa parses them one by one", len(texts))
            return {}
        return dict(zip(texts, parsed))

    async def _process_guarded(self, row: Dict[str, Any], message: NormalisedText,
                               parse_data: Dict[str, Any] | None, limit: asyncio.Semaphore) -> None:
        lease = box.Lease.of(row)
        try:
            await self.process(row, message, parse_data)
        except LeaseLost as exc:
            log.warning("%s", exc)
        except Exception as exc:  # one bad message must not stop the loop
            log.exception("processing inbox %s failed (attempt %s)", row["id"], row["attempts"])
            try:
                if row["attempts"] >= box.MAX_PROCESS_ATTEMPTS:
                    await self._db(self._commit, lease, row, self._to_human(row, message.text, "bot_error"))
                elif await self._db(box.release_inbound, self.factory, lease, repr(exc)):
                    self.metrics.processing_retries.inc()
            except LeaseLost as lost:
                log.warning("%s", lost)
            except Exception:
                # The database itself failed: the lease runs out and the row is claimed again.
                log.exception("could not record the failure of inbox %s; it is retried when its lease expires",
                              row["id"])
        finally:
            self._working.discard(row["id"])
            limit.release()

    async def process(self, row: Dict[str, Any], message: NormalisedText,
                      parse_data: Dict[str, Any] | None = None) -> None:
        """Decide on one leased inbox row and commit the decision; every row ends with one outcome."""
        lease = box.Lease.of(row)
        started = time.monotonic()
        if message.is_empty:
            decision: Decision | None = Decision(IGNORE, reason=R_EMPTY)
        else:
            decision, error = await self._decide(row, message, parse_data)
            if decision is None:
                # The action never ran (action server down, Rasa failed or too slow): retry, then a human.
                if row["attempts"] < box.MAX_PROCESS_ATTEMPTS:
                    if await self._db(box.release_inbound, self.factory, lease, error or "no decision reported"):
                        self.metrics.processing_retries.inc()
                        await asyncio.sleep(0.5 * row["attempts"])
                        self._inbox_event.set()
                    return
                decision = self._to_human(row, message.text, "bot_unavailable")
        applied = await self._db(self._commit, lease, row, decision)
        action, _, department = applied.outcome.partition("/")
        self.metrics.outcomes.labels(action, department or "none").inc()
        self.metrics.decide_seconds.observe(time.monotonic() - started)
        if applied.reply:
            self.delivery.wake()

    async def _decide(self, row: Dict[str, Any], message: NormalisedText,
                      parse_data: Dict[str, Any] | None) -> tuple:
        """The action's run for this message: (its decision or None, the error if any)."""
        payload = json.loads(row["payload"] or "{}")
        metadata = {"channel": row["channel"], "inbox_id": row["id"], REPORT_METADATA: True, "original_text": row["text"],
                    "conversation_id": row["conversation_id"], "message_id": str(row["id"]),
                    "fan_id": row["sender_id"], **{k: payload[k] for k in queue.REPLY_TARGET_KEYS if k in payload}}
        sender = f"{row['channel']}-{row['sender_id']}"
        try:
            uttered = await asyncio.wait_for(self._uttered(sender, message.text, parse_data, metadata),
                                             DECIDE_TIMEOUT_SECONDS)
        except asyncio.TimeoutError:
            return None, f"no decision within {DECIDE_TIMEOUT_SECONDS:.0f} s"
        except Exception as exc:
            return None, repr(exc)
        return reported_decision(uttered), ""

    async def _uttered(self, sender: str, text: str, parse_data: Dict[str, Any] | None,
                       metadata: Dict[str, Any]) -> List[Dict[str, Any]]:
        """What the action uttered: called directly for a parsed message (bot/weibo/actions_call.py),
        through Rasa's own path otherwise."""
        if parse_data is not None and self.actions is not None:
            return await self.actions.run(sender, text, parse_data, metadata)
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

        collector = CollectingOutputChannel()
        await self._handler(UserMessage(text, collector, sender, parse_data=parse_data, input_channel=INPUT_CHANNEL,
                                        metadata=metadata))
        return collector.messages

    def _commit(self, lease: box.Lease, row: Dict[str, Any], decision: Decision) -> decisions.Applied:
        payload = json.loads(row["payload"] or "{}")
        return decisions.commit(self.factory, lease, decision, lambda text: reply_row(row, payload, text))

    def _to_human(self, row: Dict[str, Any], normalised: str, reason: str) -> Decision:
        """The decision when the bot could not decide: the first-line team takes the message."""
        target = queue.reply_target(row["sender_id"], json.loads(row["payload"] or "{}"))
        return Decision(HANDOFF_ACTION, FALLBACK_DEPARTMENT, None, reason, queue.NewTicket(
            channel=row["channel"], fan_id=row["sender_id"], conversation_id=f"{row['channel']}:{row['conversation_id']}",
            department=FALLBACK_DEPARTMENT, reason=reason, original_text=row["text"], normalised_text=normalised,
            priority=1, reply_target=target))

    # ------------------------------------------------------------------ comments
    async def _poll_loop(self) -> None:
        """Exactly one replica polls the feeds (each poll counts against Weibo's hourly call limit):
        the holder of the poller lease. The others keep asking for it, and take it over within
        POLLER_LEASE_SECONDS of its holder's death."""
        polled_at = float("-inf")
        while True:
            self.polling = await self._db(leases.acquire, self.factory, leases.COMMENT_POLLER, self.worker_id,
                                          leases.POLLER_LEASE_SECONDS)
            if self.polling and time.monotonic() - polled_at >= self.poll_seconds:
                polled_at = time.monotonic()
                try:
                    await self.poll_once(holder=self.worker_id)
                except (TransientError, PermanentError) as exc:
                    log.warning("comment poll failed: %s", exc)  # Weibo's trouble, not the loop's
                except LeaseLost as exc:
                    log.warning("%s", exc)
            self.heartbeats.beat("poll")
            await asyncio.sleep(min(self.poll_seconds, leases.POLLER_LEASE_SECONDS / 3))

    async def _read_feed(self, path: str, since: int, not_before: float | None = None) -> List[Dict[str, Any]]:
        """Comments newer than `since` (and, when given, posted from `not_before` on), page by page
        up to MAX_PAGES_PER_POLL; the feed is newest first, so paging stops at the first older one."""
        found: List[Dict[str, Any]] = []
        for page in range(1, MAX_PAGES_PER_POLL + 1):
            batch = await self.client.comments(path, since, count=FEED_PAGE_SIZE, page=page)
            kept = batch if not_before is None else [c for c in batch if _posted_at(c) >= not_before]
            found.extend(kept)
            if len(batch) < FEED_PAGE_SIZE or len(kept) < len(batch):
                return found
        log.warning("%s: more than %d pages of new comments; the older ones are left unread", path, MAX_PAGES_PER_POLL)
        return found

    async def poll_once(self, holder: str | None = None) -> int:
        """Read both feeds from their last seen id; store new comments with the new cursor (only
        while `holder`, when given, still holds the poller lease: LeaseLost otherwise).

        A feed with no cursor is a new deployment: its cursor starts at the newest comment and
        nothing older than the start is answered, except the last `backfill_hours` when asked."""
        stored = 0
        for name, path in FEEDS.items():
            cursor = await self._db(box.get_cursor, self.factory, name)
            if cursor is None:
                cutoff = time.time() - self.backfill_hours * 3600
                found = await self._read_feed(path, 0, cutoff) if self.backfill_hours else []
                # What the backfill read holds the newest comment; without one, ask for just that.
                seen = found or await self.client.comments(path, 0, count=1, page=1)
                top = max([int(c["id"]) for c in seen], default=0)
                log.info("%s: first start, cursor at comment %s, %d comment(s) of the last %s hour(s) read",
                         name, top, len(found), self.backfill_hours)
            else:
                found = await self._read_feed(path, int(cursor))
                if not found:
                    continue
                top = max(int(c["id"]) for c in found)
            inbound = [comment_inbound(c) for c in sorted(found, key=lambda c: int(c["id"]))]
            stored += await self._db(box.store_comments, self.factory, name, str(top), inbound, holder)
        if stored:
            self._inbox_event.set()
        return stored


def reply_row(row: Dict[str, Any], payload: Dict[str, Any], text: str) -> Dict[str, Any]:
    """The outbox row of the bot's reply to an inbox row: under the comment, or as a DM."""
    if row["channel"] == COMMENT:
        return {"channel": COMMENT, "receiver_id": row["sender_id"], "comment_id": str(payload["cid"]),
                "post_id": str(payload["post_id"]), "text": text[:COMMENT_MAX_CHARS]}
    return {"channel": DM, "receiver_id": row["sender_id"], "text": text[:DM_MAX_CHARS]}


def dm_inbound(body: Dict[str, Any]) -> box.Inbound:
    """A pushed private message (type "text") as an inbox message."""
    sender, created, text = str(body["sender_id"]), str(body.get("created_at") or ""), str(body.get("text") or "")
    return box.Inbound(DM, dedupe_key(sender, created, text), sender, sender, text,
                       {"receiver_id": body.get("receiver_id"), "created_at": created})


def comment_inbound(comment: Dict[str, Any]) -> box.Inbound:
    """A polled comment object as an inbox message; the fan's follower count and verified flag go with it."""
    user = comment.get("user") or {}
    post = comment.get("status") or {}
    user_id, post_id = str(user.get("id")), str(post.get("id"))
    return box.Inbound(COMMENT, f"comment:{comment['id']}", user_id, f"{post_id}:{user_id}",
                       str(comment.get("text") or ""),
                       {"cid": str(comment["id"]), "post_id": post_id, "screen_name": user.get("screen_name"),
                        "followers_count": user.get("followers_count"), "verified": user.get("verified")})
