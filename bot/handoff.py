"""What operators do to tickets, with permissions and Weibo's limits checked first.

The web console and `bot queue` both call these, so the rules (department visibility, reply
length for the channel, who holds a claim) live in one place. A reply is recorded on the ticket
and queued in the outbox; the running service's delivery worker sends it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Sequence

from sqlalchemy import func, select

from bot import safety
from bot.errors import NotPermitted, QueueError, ReplyWindowClosed
from bot.faq.model import COMMENT, DM
from bot.service_levels import Levels
from bot.store import assignment, fans, queue
from bot.store.operators import Operator
from bot.store.tables import ANSWERED, OPEN_STATUSES, WAITING, inbox, ticket_events, tickets
from bot.weibo.api import COMMENT_MAX_CHARS, DM_MAX_CHARS, DM_REPLY_WINDOW_HOURS

Factory = "sessionmaker[Session]"


def _visible(factory: Factory, operator: Operator, ticket_id: int) -> Dict[str, Any]:
    with factory() as session:
        ticket = queue.get(session, ticket_id)
    if not operator.can_see(ticket["department"]):
        raise NotPermitted(f"ticket {ticket_id} belongs to {ticket['department']}, not your department"
                         f" ({', '.join(operator.departments) or 'none'})")
    return ticket


def list_tickets(factory: Factory, operator: Operator, departments: Sequence[str] | None = None,
                 statuses: Sequence[str] = OPEN_STATUSES, older_than_minutes: int | None = None,
                 search: str = "", page: int = 1, per_page: int = queue.PER_PAGE, order: str = "priority",
                 levels: Levels = Levels(), now: datetime | None = None) -> queue.Page:
    """One page of the tickets this operator may see, every filter in the database, each row with
    its deadline (`due_at`, `time_left` in seconds, negative once missed) and, for a DM, the time
    left in Weibo's reply window (`window_left`)."""
    allowed = [d for d in (departments or operator.visible_departments) if operator.can_see(d)]
    if not allowed:
        return queue.Page([], 0, page, per_page)  # never fall through to "no department filter"
    now = now or datetime.now(timezone.utc)
    assignment.release_idle(factory, now)  # a claim left idle goes back to the queue before anyone looks
    older = now - timedelta(minutes=older_than_minutes) if older_than_minutes else None
    with factory() as session:
        found = queue.find(session, queue.TicketQuery(allowed, statuses, older, search, page, per_page, order,
                                                      levels.table()))
    for row in found.rows:
        first, resolution = levels.targets(row["department"], row["priority"])
        row["due_at"] = _aware(row["created_at"]) + (resolution if row["status"] == ANSWERED else first)
        row["time_left"] = int((row["due_at"] - now).total_seconds())
        last = row.get("last_fan_at")
        row["window_left"] = (int((timedelta(hours=DM_REPLY_WINDOW_HOURS) - (now - _aware(last))).total_seconds())
                              if row["channel"] == DM and last is not None else None)
    return found


def show(factory: Factory, operator: Operator, ticket_id: int) -> Dict[str, Any]:
    ticket = _visible(factory, operator, ticket_id)
    with factory() as session:
        ticket["messages"] = queue.messages(session, ticket_id)
        ticket["events"] = queue.events(session, ticket_id)
    ticket["faq_candidates"] = json.loads(ticket["faq_candidates"] or "[]")
    ticket["reply_target"] = json.loads(ticket["reply_target"] or "{}")
    return ticket


def claim(factory: Factory, operator: Operator, ticket_id: int) -> Dict[str, Any]:
    _visible(factory, operator, ticket_id)
    return queue.claim(factory, ticket_id, operator.name)


def reply_limit(channel: str) -> int:
    return COMMENT_MAX_CHARS if channel == COMMENT else DM_MAX_CHARS


def _check_dm_window(factory: Factory, ticket_id: int, now: datetime | None) -> None:
    """Weibo takes a private reply only within DM_REPLY_WINDOW_HOURS of the fan's last message."""
    with factory() as session:
        last = queue.last_fan_message_at(session, ticket_id)
    now = now or datetime.now(timezone.utc)
    if last is not None and now - last > timedelta(hours=DM_REPLY_WINDOW_HOURS):
        local = (last + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
        raise ReplyWindowClosed(
            f"ticket {ticket_id}: the fan last wrote at {local} (Beijing time), more than {DM_REPLY_WINDOW_HOURS} "
            "hours ago, and Weibo no longer accepts a private reply. Reply under one of the fan's comments, or "
            "close the ticket with a note; the fan's next message opens the conversation again")


def reply(factory: Factory, operator: Operator, ticket_id: int, text: str,
          now: datetime | None = None, sensitive: Sequence[str] = ()) -> Dict[str, Any]:
    """Check, record and queue an operator's reply to the fan; a public one may carry no personal
    data and none of the `sensitive` words (bot.safety)."""
    ticket = _visible(factory, operator, ticket_id)
    text = text.strip()
    if not text:
        raise QueueError("the reply is empty: write something to send")
    limit = reply_limit(ticket["channel"])
    if len(text) > limit:
        kind = "a comment" if ticket["channel"] == COMMENT else "a private message"
        raise QueueError(f"reply too long for {kind}: {len(text)} characters, at most {limit}")
    target = json.loads(ticket["reply_target"] or "{}")
    if ticket["channel"] == COMMENT and not (target.get("cid") and target.get("post_id")):
        raise QueueError(f"ticket {ticket_id} has no comment to reply to (it did not come from Weibo comments)")
    if ticket["channel"] == COMMENT:
        safety.check_public(text, sensitive)
    if ticket["channel"] != COMMENT:
        _check_dm_window(factory, ticket_id, now)
    return queue.record_reply(factory, ticket_id, operator.name, text, send={
        "channel": ticket["channel"], "receiver_id": str(target.get("receiver_id") or ticket["fan_id"]),
        "comment_id": target.get("cid"), "post_id": target.get("post_id")})


def hand_back(factory: Factory, operator: Operator, ticket_id: int) -> Dict[str, Any]:
    """End the human takeover without closing: the bot answers the fan again."""
    _visible(factory, operator, ticket_id)
    return queue.hand_back(factory, ticket_id, operator.name)


def fan_history(factory: Factory, operator: Operator, ticket_id: int) -> Dict[str, Any]:
    """The ticket's fan across comments and DMs: his messages, the replies he got, his tickets (those
    of departments the operator may see), notes and marks."""
    ticket = _visible(factory, operator, ticket_id)
    with factory() as session:
        found = fans.history(session, ticket["fan_id"])
    found["tickets"] = [t for t in found["tickets"] if operator.can_see(t["department"])]
    return found


def note_fan(factory: Factory, operator: Operator, ticket_id: int, text: str) -> Dict[str, Any]:
    ticket = _visible(factory, operator, ticket_id)
    fans.add_note(factory, ticket["fan_id"], operator.name, text)
    return ticket


def mark_spammer(factory: Factory, operator: Operator, ticket_id: int, spammer: bool = True) -> Dict[str, Any]:
    """Ignore the ticket's fan from now on (or, with spammer=False, listen to him again)."""
    ticket = _visible(factory, operator, ticket_id)
    fans.mark_spammer(factory, ticket["fan_id"], operator.name, spammer)
    return ticket


def fan_name(factory: Factory, fan_id: str) -> str | None:
    """The fan's Weibo name, as his newest comment showed it (a DM carries none)."""
    with factory() as session:
        payloads = session.execute(select(inbox.c.payload).where(inbox.c.sender_id == fan_id, inbox.c.channel == COMMENT)
                                   .order_by(inbox.c.id.desc()).limit(5)).scalars().all()
    for payload in payloads:
        name = (json.loads(payload or "{}") or {}).get("screen_name")
        if name:
            return str(name)
    return None


def canned_reply(factory: Factory, operator: Operator, ticket_id: int, canned_dir: Path, canned_id: str) -> str:
    """A canned reply of the ticket's department, filled for this ticket's fan and product."""
    from bot import canned

    ticket = _visible(factory, operator, ticket_id)
    with factory() as session:
        said = [m["original_text"] for m in queue.messages(session, ticket_id) if m["direction"] == "in"]
    return canned.find(canned_dir, ticket["department"], canned_id).fill(fan_name(factory, ticket["fan_id"]), said)


def close(factory: Factory, operator: Operator, ticket_id: int, note: str = "") -> Dict[str, Any]:
    _visible(factory, operator, ticket_id)
    return queue.close(factory, ticket_id, operator.name, note)


def dismiss(factory: Factory, operator: Operator, ticket_id: int, note: str = "") -> Dict[str, Any]:
    _visible(factory, operator, ticket_id)
    return queue.dismiss(factory, ticket_id, operator.name, note)


def reassign(factory: Factory, operator: Operator, ticket_id: int, department: str) -> Dict[str, Any]:
    _visible(factory, operator, ticket_id)
    return queue.reassign(factory, ticket_id, operator.name, department)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def waiting_seconds(ticket: Dict[str, Any], now: datetime | None = None) -> int:
    now = now or datetime.now(timezone.utc)
    return int((now - _aware(ticket["created_at"])).total_seconds())


def dashboard(factory: Factory, operator: Operator) -> Dict[str, Any]:
    """Tickets waiting per department, the oldest waiting, answered today, auto-answer share today."""
    now = datetime.now(timezone.utc)
    start_of_day = (now + timedelta(hours=8)).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(hours=8)
    departments = list(operator.visible_departments)
    with factory() as session:
        waiting = dict(session.execute(select(tickets.c.department, func.count()).where(
            tickets.c.status == WAITING, tickets.c.department.in_(departments)).group_by(tickets.c.department)).all())
        oldest = session.execute(select(tickets).where(tickets.c.status == WAITING, tickets.c.department.in_(departments))
                                 .order_by(tickets.c.created_at, tickets.c.id).limit(1)).mappings().first()
        answered = session.execute(select(func.count(func.distinct(ticket_events.c.ticket_id))).select_from(
            ticket_events.join(tickets, tickets.c.id == ticket_events.c.ticket_id)).where(
            ticket_events.c.kind == "answered", ticket_events.c.created_at >= start_of_day,
            tickets.c.department.in_(departments))).scalar()
        outcomes = session.execute(select(inbox.c.outcome).where(inbox.c.created_at >= start_of_day,
                                                                 inbox.c.status == "done")).scalars().all()
    auto = sum(1 for o in outcomes if (o or "").startswith("answer"))
    return {
        "waiting": {d: waiting.get(d, 0) for d in departments},
        "oldest": dict(oldest) if oldest else None,
        "oldest_wait_seconds": waiting_seconds(dict(oldest), now) if oldest else 0,
        "answered_today": answered or 0,
        "messages_today": len(outcomes),
        "auto_answer_share": round(auto / len(outcomes), 3) if outcomes else 0.0,
    }
