"""Which action the Weibo channel asks the action server to run, read from the rules file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.errors import ConfigError
from bot.weibo.actions_call import DEFAULT_ACTION, ActionCaller, rule_actions

ROOT = Path(__file__).resolve().parent.parent


def test_every_intent_of_the_domain_has_the_action_of_its_rule():
    intents = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"]
    actions = rule_actions(ROOT / "data" / "rules.yml")
    assert set(intents) <= set(actions)
    assert set(actions.values()) <= {"action_answer_faq", "action_triage"}


def test_an_intent_without_a_rule_gets_the_triage_action():
    caller = ActionCaller("http://127.0.0.1:1/webhook", {"ask_price": "action_answer_faq"}, "weibo", timeout=1)
    assert caller.action_for({"intent": {"name": "ask_price"}}) == "action_answer_faq"
    assert caller.action_for({"intent": {"name": "brand_new"}}) == DEFAULT_ACTION
    assert caller.action_for({}) == DEFAULT_ACTION


def test_the_request_carries_the_message_as_rasa_would(tmp_path):
    caller = ActionCaller("http://x/webhook", {}, "weibo", timeout=1)
    body = caller.request("dm-7", "X5多少钱", {"intent": {"name": "ask_price", "confidence": 0.9}}, {"channel": "dm"})
    tracker = body["tracker"]
    assert body["sender_id"] == tracker["sender_id"] == "dm-7"
    assert tracker["latest_message"]["text"] == "X5多少钱"
    assert tracker["latest_message"]["metadata"] == {"channel": "dm"}
    assert tracker["events"][-1]["event"] == "user" and tracker["events"][-1]["input_channel"] == "weibo"


@pytest.mark.parametrize("content", ["rules: [\n", None])
def test_a_missing_or_broken_rules_file_is_a_clear_error(tmp_path, content):
    path = tmp_path / "rules.yml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read the rules"):
        rule_actions(path)
