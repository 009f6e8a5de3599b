"""Reaching the custom actions for a parsed Weibo message without Rasa Core's per-message loop.

Every intent has exactly one custom action (data/rules.yml) and the decision reads only the latest
message, so for a message the NLU batch already parsed, what Rasa Core spends per message (a tracker
load and save, the conversation lock, two policy runs through the graph: about a third of the Rasa
server's CPU under `make load`, by py-spy; docs/perf/) decides nothing. The action server is called
as Rasa calls it, with the rasa_sdk webhook protocol (`next_action`, `sender_id`, the tracker
state), over one kept connection pool. A message without parse data takes Rasa's own path.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any, Dict, List

import yaml

from bot.errors import ConfigError

RULES_FILE = "rules.yml"  # beside the FAQ directory: data/rules.yml
DEFAULT_ACTION = "action_triage"  # what rules.yml gives nlu_fallback and every triage intent


def rule_actions(rules: Path) -> Dict[str, str]:
    """intent -> action of the one-step rules of a Rasa rules file."""
    try:
        data = yaml.safe_load(rules.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{rules}: cannot read the rules ({exc}); the Weibo channel needs data/rules.yml") from exc
    mapping: Dict[str, str] = {}
    for rule in data.get("rules") or []:
        steps = rule.get("steps") or []
        intents = [s["intent"] for s in steps if isinstance(s, dict) and "intent" in s]
        actions = [s["action"] for s in steps if isinstance(s, dict) and "action" in s]
        if len(intents) == 1 and actions:
            mapping[intents[0]] = actions[0]
    return mapping


class ActionCaller:
    """Calls the action server for one parsed message and returns the responses it uttered."""

    def __init__(self, url: str, actions: Dict[str, str], input_channel: str, timeout: float) -> None:
        self.url = url
        self.actions = actions
        self.input_channel = input_channel
        self.timeout = timeout
        self._session = None

    def action_for(self, parse_data: Dict[str, Any]) -> str:
        intent = (parse_data.get("intent") or {}).get("name")
        return self.actions.get(intent, DEFAULT_ACTION)

    def request(self, sender_id: str, text: str, parse_data: Dict[str, Any], metadata: Dict[str, Any]) -> Dict[str, Any]:
        """The body Rasa's RemoteAction sends, for a conversation whose only event is this message."""
        latest = {**parse_data, "text": text, "metadata": metadata, "message_id": uuid.uuid4().hex}
        user_event = {"event": "user", "timestamp": time.time(), "text": text, "parse_data": latest,
                      "input_channel": self.input_channel, "message_id": latest["message_id"], "metadata": metadata}
        tracker = {"sender_id": sender_id, "slots": {}, "latest_message": latest, "events": [user_event],
                   "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen",
                   "latest_input_channel": self.input_channel}
        return {"next_action": self.action_for(parse_data), "sender_id": sender_id, "tracker": tracker, "domain": {},
                "version": "3.6.21"}

    async def run(self, sender_id: str, text: str, parse_data: Dict[str, Any],
                  metadata: Dict[str, Any]) -> List[Dict[str, Any]]:
        import aiohttp

        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        async with self._session.post(self.url, json=self.request(sender_id, text, parse_data, metadata)) as resp:
            if resp.status != 200:
                raise RuntimeError(f"action server answered {resp.status}: {(await resp.text())[:200]}")
            body = await resp.json()
        return list(body.get("responses") or [])

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
