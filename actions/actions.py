"""Rasa SDK actions: read the tracker, call bot.respond, utter, return events.

For the Weibo channel an action writes nothing: it utters its decision as custom JSON and the
channel commits it (bot.store.decisions)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.respond import OUTCOME_KEY, LiveMessage, Responder, build_responder


@lru_cache(maxsize=1)
def responder() -> Responder:
    # Built on first use, not at import: it opens the database and loads the FAQ.
    from bot.settings import Settings

    return build_responder(Settings.from_env())


def _live(tracker: Tracker) -> LiveMessage:
    latest = tracker.latest_message or {}
    return LiveMessage(tracker.sender_id, latest.get("text") or "", latest, latest.get("metadata") or {},
                       tracker.get_latest_input_channel())


class ActionAnswerFaq(Action):
    """Answers FAQ topics (comment or DM wording by channel), or hands off when unsure."""

    def name(self) -> str:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[Dict[str, Any]]:
        handled = responder().handle(_live(tracker))
        if handled.reply:
            dispatcher.utter_message(text=handled.reply)
        if handled.report:
            dispatcher.utter_message(json_message={OUTCOME_KEY: handled.report})
        return []


class ActionTriage(ActionAnswerFaq):
    """Social replies, ignores and handoffs go through the same decision."""

    def name(self) -> str:
        return "action_triage"
