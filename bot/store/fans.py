"""One fan across comments and DMs (the same Weibo user id): his history, notes, and the marks the
desk puts on him. A spammer is ignored from then on; a VIP (verified, or many followers, as his
comments' user objects say) gets his tickets at a higher priority."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import QueueError
from bot.store.tables import fan_notes, fans, inbox, outbox, tickets

VIP_FOLLOWERS = 10_000
HISTORY = 100  # the newest messages, replies and tickets shown
MAX_NOTE = 500


def is_spammer(session: Session, fan_id: str) -> bool:
    return bool(session.execute(select(fans.c.spammer).where(fans.c.fan_id == fan_id)).scalar())


def is_vip(session: Session, fan_id: str) -> bool:
    row = session.execute(select(inbox.c.followers_count, inbox.c.verified).where(
        inbox.c.sender_id == fan_id, inbox.c.followers_count.is_not(None)).order_by(inbox.c.id.desc()).limit(1)).first()
    return row is not None and (bool(row.verified) or row.followers_count >= VIP_FOLLOWERS)


def mark_spammer(factory: sessionmaker[Session], fan_id: str, actor: str, spammer: bool = True) -> None:
    """Mark (or, with spammer=False, unmark) a fan; his later messages are ignored while marked."""
    now = datetime.now(timezone.utc)
    values = {"spammer": int(spammer), "marked_by": actor, "updated_at": now}
    for _attempt in range(3):
        try:
            with factory.begin() as session:
                if session.execute(update(fans).where(fans.c.fan_id == fan_id).values(**values)).rowcount == 0:
                    session.execute(insert(fans).values(fan_id=fan_id, **values))
            return
        except IntegrityError:
            continue  # another operator inserted the row meanwhile: update it
    raise QueueError(f"fan {fan_id} changed while you were marking him: try again")


def add_note(factory: sessionmaker[Session], fan_id: str, author: str, text: str) -> None:
    text = text.strip()
    if not text:
        raise QueueError("the note is empty: write what colleagues should know about this fan")
    if len(text) > MAX_NOTE:
        raise QueueError(f"the note has {len(text)} characters, at most {MAX_NOTE}")
    with factory.begin() as session:
        session.execute(insert(fan_notes).values(fan_id=fan_id, author=author, text=text,
                                                 created_at=datetime.now(timezone.utc)))


def history(session: Session, fan_id: str) -> Dict[str, Any]:
    """Everything the account has from and to this fan, newest first."""
    def rows(query) -> List[Dict[str, Any]]:
        return [dict(r) for r in session.execute(query.limit(HISTORY)).mappings().all()]

    return {
        "fan_id": fan_id,
        "spammer": is_spammer(session, fan_id),
        "vip": is_vip(session, fan_id),
        "messages": rows(select(inbox.c.id, inbox.c.channel, inbox.c.text, inbox.c.outcome, inbox.c.created_at)
                         .where(inbox.c.sender_id == fan_id).order_by(inbox.c.id.desc())),
        "replies": rows(select(outbox.c.id, outbox.c.channel, outbox.c.text, outbox.c.status, outbox.c.created_at)
                        .where(outbox.c.receiver_id == fan_id).order_by(outbox.c.id.desc())),
        "tickets": rows(select(tickets.c.id, tickets.c.channel, tickets.c.department, tickets.c.status,
                               tickets.c.created_at).where(tickets.c.fan_id == fan_id).order_by(tickets.c.id.desc())),
        "notes": rows(select(fan_notes).where(fan_notes.c.fan_id == fan_id).order_by(fan_notes.c.id.desc())),
    }
