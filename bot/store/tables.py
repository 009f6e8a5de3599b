"""Tables of the handoff queue (schema changes go through the Alembic migrations beside this).

Ticket lifecycle (`tickets.status`):

    waiting --claim--> claimed --reply--> answered --close--> closed
       |                  |  \\--release--> waiting          ^
       |                  \\--close/dismiss------------------/ dismissed
       \\--close/dismiss--> closed / dismissed

waiting, claimed and answered are *open*: a fan conversation has at most one open ticket (a
partial unique index enforces it), later messages attach to it, and the bot stays silent to that
fan until the ticket is closed or dismissed, or handed back to the bot (`handed_back_at`): the
ticket stays open, the bot answers the fan again, and the first message the bot cannot answer
(or an operator's claim or reply) gives the conversation back to a human. Every change writes a
row to `ticket_events`.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    text,
)

WAITING, CLAIMED, ANSWERED, CLOSED, DISMISSED = "waiting", "claimed", "answered", "closed", "dismissed"
STATUSES = (WAITING, CLAIMED, ANSWERED, CLOSED, DISMISSED)
OPEN_STATUSES = (WAITING, CLAIMED, ANSWERED)
# Literal, not bound: only then can SQLite and PostgreSQL use the partial index below for a lookup.
OPEN_SQL = "status IN ('waiting', 'claimed', 'answered')"

metadata = MetaData()

tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    Column("fan_id", String(64), nullable=False),
    Column("conversation_id", String(128), nullable=False),
    Column("department", String(32), nullable=False),
    Column("intent", String(64), nullable=True),
    Column("confidence", Float, nullable=False, server_default=text("0")),
    Column("reason", String(64), nullable=False),
    Column("priority", Integer, nullable=False, server_default=text("0")),
    Column("status", String(16), nullable=False, server_default=text("'waiting'")),
    Column("assignee", String(64), nullable=True),
    Column("faq_candidates", Text, nullable=False, server_default=text("'[]'")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    # Where an operator's reply goes: {"receiver_id"} for a DM, plus {"cid", "post_id"} for a comment.
    Column("reply_target", Text, nullable=False, server_default=text("'{}'")),
    # The bot's answer for the questions the FAQ covers (a multi-question message with one uncovered).
    Column("draft_reply", Text, nullable=False, server_default=text("''")),
    Column("handed_back_at", DateTime(timezone=True), nullable=True),  # the bot answers this fan again
    CheckConstraint(f"status IN {STATUSES!r}", name="ck_tickets_status"),
    Index("ix_tickets_queue", "status", "department", "priority", "created_at"),
    Index("ix_tickets_fan", "fan_id", "created_at"),
    Index(
        "uq_tickets_open_conversation",
        "channel",
        "conversation_id",
        unique=True,
        sqlite_where=text(OPEN_SQL),
        postgresql_where=text(OPEN_SQL),
    ),
)

ticket_messages = Table(
    "ticket_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("direction", String(8), nullable=False, server_default=text("'in'")),
    Column("author", String(64), nullable=False),
    Column("original_text", Text, nullable=False),
    Column("normalised_text", Text, nullable=False, server_default=text("''")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

ticket_events = Table(
    "ticket_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("actor", String(64), nullable=False, server_default=text("'bot'")),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=True),
    Column("detail", Text, nullable=False, server_default=text("''")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


# ------------------------------------------------------------------ inbox / outbox (Weibo channel)
# inbox.status:  received -> processing -> done            (failed: rows of versions before 0005 only)
#   Every inbound message is stored (deduplicated) before anything else happens to it. A worker
#   claims a row under a lease (worker_id, lease_expires_at, attempts = the attempt number); only
#   the holder of the current lease can finish it (done, with its outcome, tickets and replies in
#   one transaction) or release it (back to received for a retry). A row whose lease expired (its
#   worker crashed or hung) is claimed again by anyone; after MAX_PROCESS_ATTEMPTS it is done with a
#   ticket, never dropped. inbox_events keeps each row's history (done, retry, gave_up).
# outbox.status: pending -> sending -> sent | failed | uncertain
#   `idempotency_key` is unique, so a reply is queued at most once per message; a row still in
#   `sending` past its `send_deadline` was left by a worker that died mid-send: it may or may not
#   have reached Weibo, so it becomes `uncertain` and goes to a human instead of being sent a
#   second time. Rows other live workers are sending are left alone.
RECEIVED, PROCESSING, DONE, FAILED = "received", "processing", "done", "failed"
PENDING, SENDING, SENT, UNCERTAIN = "pending", "sending", "sent", "uncertain"

inbox = Table(
    "inbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    Column("dedupe_key", String(128), nullable=False, unique=True),
    Column("sender_id", String(64), nullable=False),
    Column("conversation_id", String(128), nullable=False),
    Column("text", Text, nullable=False),
    Column("payload", Text, nullable=False, server_default=text("'{}'")),
    Column("status", String(16), nullable=False, server_default=text("'received'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("outcome", String(32), nullable=True),
    Column("error", Text, nullable=False, server_default=text("''")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("worker_id", String(96), nullable=True),
    Column("lease_expires_at", DateTime(timezone=True), nullable=True),
    # For the reports (bot/reports): why the message ended as it did, the FAQ entries that answered
    # it (comma-separated), and the fan as Weibo's comment object describes him (DMs carry neither).
    Column("reason", String(64), nullable=True),
    Column("faq_ids", String(512), nullable=True),
    Column("followers_count", Integer, nullable=True),
    Column("verified", Integer, nullable=True),
    CheckConstraint("status IN ('received', 'processing', 'done', 'failed')", name="ck_inbox_status"),
    Index("ix_inbox_status", "status", "id"),
    Index("ix_inbox_created", "created_at"),
    Index("ix_inbox_sender", "sender_id", "created_at"),
)

inbox_events = Table(
    "inbox_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("inbox_id", Integer, ForeignKey("inbox.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("worker_id", String(96), nullable=False, server_default=text("''")),
    Column("attempt", Integer, nullable=False, server_default=text("0")),
    Column("detail", Text, nullable=False, server_default=text("''")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(128), nullable=False, unique=True),
    Column("channel", String(16), nullable=False),
    Column("receiver_id", String(64), nullable=False),
    Column("comment_id", String(64), nullable=True),
    Column("post_id", String(64), nullable=True),
    Column("text", Text, nullable=False),
    Column("inbox_id", Integer, ForeignKey("inbox.id"), nullable=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=True),
    Column("status", String(16), nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_error", Text, nullable=False, server_default=text("''")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    # A row still `sending` after this was left by a worker that died mid-send (see SEND_DEADLINE_SECONDS).
    Column("send_deadline", DateTime(timezone=True), nullable=True),
    Column("worker_id", String(96), nullable=True),  # who holds a `sending` row until its send_deadline
    CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'uncertain')", name="ck_outbox_status"),
    Index("ix_outbox_due", "status", "next_attempt_at"),
    Index("ix_outbox_receiver", "receiver_id", "created_at"),
)

# Rasa's conversation trackers (bot/weibo/trackers.py): one row per conversation, its serialised
# tracker, forgotten once idle for the TTL.
trackers = Table(
    "trackers",
    metadata,
    Column("sender_id", String(255), primary_key=True),
    Column("tracker", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_trackers_updated", "updated_at"),
)

# A named lease held by one worker at a time (the comment poller): the holder renews it before
# `expires_at`; once that passes, any worker may take it (bot/store/leases.py).
leases = Table(
    "leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(96), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("acquired_at", DateTime(timezone=True), nullable=False),
)

cursors = Table(
    "cursors",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


# ------------------------------------------------------------------ operators, sessions, FAQ suggestions
# role "operator" (the Weibo account team) sees every department; role "member" (department staff)
# sees and acts only on the departments listed in operator_departments.
ROLES = ("operator", "member")

operators = Table(
    "operators",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("password_hash", String(256), nullable=False),
    Column("role", String(16), nullable=False, server_default=text("'member'")),
    Column("active", Integer, nullable=False, server_default=text("1")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Assignment (bot/store/assignment.py): taking new tickets now, up to `cap` claimed at once, in turn.
    Column("available", Integer, nullable=False, server_default=text("0")),
    Column("cap", Integer, nullable=False, server_default=text("5")),
    Column("last_assigned_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("role IN ('operator', 'member')", name="ck_operators_role"),
)

operator_departments = Table(
    "operator_departments",
    metadata,
    Column("operator", String(64), ForeignKey("operators.name", ondelete="CASCADE"), primary_key=True),
    Column("department", String(32), primary_key=True),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("operator", String(64), ForeignKey("operators.name", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_web_sessions_expires", "expires_at"),
)

# Every console sign-in attempt (bot/store/sign_ins.py): the sign-in log, and what the throttle counts.
SIGN_IN_RESULTS = ("ok", "failed", "throttled")
sign_ins = Table(
    "sign_ins",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("operator", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Column("result", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("result IN ('ok', 'failed', 'throttled')", name="ck_sign_ins_result"),
    Index("ix_sign_ins_operator", "operator", "created_at"),
    Index("ix_sign_ins_address", "address", "created_at"),
)

faq_suggestions = Table(
    "faq_suggestions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=True),
    Column("department", String(32), nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("author", String(64), nullable=False),
    Column("status", String(16), nullable=False, server_default=text("'proposed'")),
    Column("faq_id", String(64), nullable=True),  # the entry written by the merge
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    # "entry": a new entry (question, answer); "alternates": new wordings (`question`, one per line)
    # of the existing entry `target_faq_id`.
    Column("kind", String(16), nullable=False, server_default=text("'entry'")),
    Column("target_faq_id", String(64), nullable=True),
    CheckConstraint("status IN ('proposed', 'merged', 'rejected')", name="ck_faq_suggestions_status"),
)


# ------------------------------------------------------------------ fans (one Weibo user id across comments and DMs)
# A fan marked as a spammer is ignored from then on (bot.store.decisions), until the mark is removed.
fans = Table(
    "fans",
    metadata,
    Column("fan_id", String(64), primary_key=True),
    Column("spammer", Integer, nullable=False, server_default=text("0")),
    Column("marked_by", String(64), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

fan_notes = Table(
    "fan_notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fan_id", String(64), nullable=False, index=True),
    Column("author", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
