"""Handle one live message that Rasa has already parsed: decide, record, and say what to send.

The custom actions call `Responder.handle`; it applies the same triage path as the batch
commands, writes handoffs to the queue, and stays silent to a fan whose conversation a human
has taken over (the message is added to the open ticket instead).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any, Dict

from sqlalchemy.orm import Session, sessionmaker

from bot.decide import HANDOFF_ACTION, Outcome
from bot.faq.model import COMMENT, DM
from bot.nlu.result import NluResult
from bot.store import queue
from bot.text import normalise
from bot.triage import Inbound, Triage, Triaged
from bot.weibo.api import INPUT_CHANNEL

log = logging.getLogger(__name__)
HUMAN_TAKEOVER = "human_takeover"
# The custom-JSON key by which an action tells the Weibo channel what it decided ("answer/pre_sales"):
# the channel's proof that the message was handled, stored with the replies in one transaction.
OUTCOME_KEY = "bot_outcome"
REPORT_METADATA = "report_outcome"  # set in a message's metadata by a channel that wants the report


@dataclass(frozen=True)
class LiveMessage:
    """What an action knows about the latest fan message (from the tracker).

    Only the Weibo channel's metadata is trusted: it comes from our own inbox. Any other input
    channel (REST, for local testing) is a caller we do not know, so it never chooses the channel,
    the fan, the conversation or where a reply goes: its messages are DMs of a fan of its own
    namespace ("rest:<sender>") with no reply target.
    """

    sender_id: str
    text: str
    parse_data: Dict[str, Any]
    metadata: Dict[str, Any]
    input_channel: str | None = None

    @property
    def trusted(self) -> bool:
        return self.input_channel == INPUT_CHANNEL

    @property
    def facts(self) -> Dict[str, Any]:
        """The metadata the bot may act on."""
        return self.metadata if self.trusted else {}

    @property
    def channel(self) -> str:
        channel = self.facts.get("channel")
        return channel if channel in (COMMENT, DM) else DM

    @property
    def fan_id(self) -> str:
        if not self.trusted:
            return f"{self.input_channel or 'unknown'}:{self.sender_id}"
        return str(self.metadata.get("fan_id") or self.sender_id)

    @property
    def conversation_id(self) -> str:
        if not self.trusted:
            return self.fan_id
        return str(self.metadata.get("conversation_id") or self.sender_id)

    @property
    def reply_target(self) -> Dict[str, str]:
        return {"receiver_id": self.fan_id, **{k: str(self.facts[k]) for k in ("cid", "post_id") if self.facts.get(k)}}


@dataclass(frozen=True)
class Handled:
    reply: str | None
    outcome: Outcome | None
    ticket_id: int | None = None
    reason: str = ""
    report: str | None = None  # the outcome for the channel, when it asked for one (see OUTCOME_KEY)


class Responder:
    def __init__(self, triage: Triage, factory: sessionmaker[Session]) -> None:
        self._triage = triage
        self._factory = factory

    def handle(self, live: LiveMessage) -> Handled:
        original = str(live.facts.get("original_text") or live.parse_data.get("original_text")
                       or live.text or "")
        message = normalise(original)
        conversation = f"{live.channel}:{live.conversation_id}"
        inbound = Inbound(str(live.facts.get("message_id") or ""), live.channel, original,
                          live.fan_id, live.conversation_id)
        with self._factory() as session:
            open_ticket = queue.open_ticket_id(session, live.channel, conversation)
        triaged = self._triage.decide_parsed(inbound, message, NluResult.from_parse(live.parse_data))
        target = live.reply_target
        o = triaged.outcome
        if open_ticket is not None:
            # A human holds this conversation: record the message on the ticket, do not auto-reply.
            self._submit(triaged, HUMAN_TAKEOVER, target)
            handled = Handled(None, o, open_ticket, HUMAN_TAKEOVER)
        else:
            ticket_id = self._submit(triaged, o.reason, target) if o.action == HANDOFF_ACTION else None
            handled = Handled(o.reply, o, ticket_id, o.reason)
        if live.facts.get(REPORT_METADATA):
            # The channel stored this message: report the decision (else it retries or escalates).
            action = HUMAN_TAKEOVER if handled.reason == HUMAN_TAKEOVER else o.action
            handled = replace(handled, report=f"{action}/{o.department or ''}")
        return handled

    def _submit(self, triaged: Triaged, reason: str, target: Dict[str, str]) -> int:
        return queue.submit(self._factory, triaged.ticket(reason, target))


def build_responder(settings) -> Responder:
    """Factory used by the action server: FAQ library with hot reload, queue on BOT_DATABASE_URL."""
    from bot.decide import DecideSettings
    from bot.faq.library import FaqLibrary
    from bot.store.db import make_engine, make_session_factory, migrate

    library = FaqLibrary(settings.faq_dir)
    migrate(settings.database_url)
    factory = make_session_factory(make_engine(settings.database_url))

    def no_parse(texts):
        raise RuntimeError("the action server receives messages parsed by Rasa")

    triage = Triage(no_parse, lambda: library.index,
                    DecideSettings(answer_threshold=settings.answer_threshold,
                                   intent_threshold=settings.intent_threshold))
    return Responder(triage, factory)
