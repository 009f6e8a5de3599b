"""The faster action-result validation accepts and rejects exactly what Rasa's own does."""

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.weibo import rasa_speedups

ORIGINAL = RemoteAction._validate_action_result

CASES = [
    {"events": [], "responses": [{"text": "您好"}]},
    {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": []},
    {},
    {"events": [{"no_event_key": 1}], "responses": []},
    {"events": "not a list"},
    {"responses": [{"text": "hi"}], "events": [{"event": 5}]},
]


@pytest.mark.parametrize("result", CASES)
def test_same_verdict_and_message_as_rasa(result):
    action = RemoteAction("action_answer_faq", None)

    def verdict(fn):
        try:
            return fn(action, result), None
        except ValidationError as e:
            return False, e.message

    assert verdict(rasa_speedups._validate_action_result) == verdict(ORIGINAL)


def test_install_replaces_the_method():
    try:
        rasa_speedups.install()
        assert RemoteAction._validate_action_result is rasa_speedups._validate_action_result
    finally:
        RemoteAction._validate_action_result = ORIGINAL
