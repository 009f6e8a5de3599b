"""Handle one live message that Rasa has already parsed: decide, and say what to send.

The custom actions call `Responder.handle`; it applies the same triage path as the batch
commands. For the Weibo channel it writes nothing: the decision goes back to the channel, which
commits it with the inbox row (bot.store.decisions). Only a REST test call, which has no inbox
row, is recorded here, through the same function.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Dict

from sqlalchemy.orm import Session, sessionmaker

from bot.faq.model import COMMENT, DM
from bot.nlu.result import NluResult
from bot.store.decisions import HUMAN_TAKEOVER, Decision, record
from bot.store.queue import reply_target
from bot.text import normalise
from bot.triage import Inbound, Triage, Triaged
from bot.weibo.api import INPUT_CHANNEL

log = logging.getLogger(__name__)
# The custom-JSON key by which an action hands the Weibo channel its decision (bot.store.decisions):
# the channel commits it with the inbox row in one transaction.
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
        return reply_target(self.fan_id, self.facts)


@dataclass(frozen=True)
class Handled:
    reply: str | None
    ticket_id: int | None = None
    reason: str = ""
    report: Dict[str, Any] | None = None  # the decision for the channel, when it asked for it (see OUTCOME_KEY)


def decision_for(triaged: Triaged, target: Dict[str, str]) -> Decision:
    """A triaged message as the decision the Weibo channel commits (the demo seed commits it too)."""
    o = triaged.outcome
    return Decision(o.action, o.department, o.reply, o.reason, triaged.ticket(o.reason, target), o.faq_id)


class Responder:
    def __init__(self, triage: Triage, factory: sessionmaker[Session]) -> None:
        self._triage = triage
        self._factory = factory

    def decide(self, live: LiveMessage) -> Decision:
        """The decision on one message; writes nothing."""
        original = str(live.facts.get("original_text") or live.parse_data.get("original_text")
                       or live.text or "")
        message = normalise(original)
        inbound = Inbound(str(live.facts.get("message_id") or ""), live.channel, original,
                          live.fan_id, live.conversation_id)
        triaged = self._triage.decide_parsed(inbound, message, NluResult.from_parse(live.parse_data))
        return decision_for(triaged, live.reply_target)

    def handle(self, live: LiveMessage) -> Handled:
        decision = self.decide(live)
        if live.facts.get(REPORT_METADATA):
            # The Weibo channel stored this message: it commits the decision with the inbox row.
            return Handled(None, None, decision.reason, report=decision.to_json())
        applied = record(self._factory, decision)
        reason = HUMAN_TAKEOVER if applied.outcome.startswith(HUMAN_TAKEOVER) else decision.reason
        return Handled(applied.reply, applied.ticket_id, reason)


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

    from bot.service_hours import watch_hours

    triage = Triage(no_parse, lambda: library.index,
                    DecideSettings(answer_threshold=settings.answer_threshold,
                                   intent_threshold=settings.intent_threshold),
                    hours=watch_hours(settings.service_hours_file).current)
    return Responder(triage, factory)
