"""The running action server answers from the FAQ files and picks up edits without a restart."""

from __future__ import annotations

import time

import pytest
import requests

from bot.weibo.actions_call import ActionCaller
from tests.helpers import BIN, free_port, start, stop, wait_http


@pytest.fixture
def action_server(faq_copy, tmp_path):
    port = free_port()
    proc = start([str(BIN / "python"), "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
                 {"BOT_FAQ_DIR": str(faq_copy), "BOT_DATABASE_URL": f"sqlite:///{tmp_path / 'q.sqlite3'}"},
                 tmp_path / "actions.log")
    try:
        wait_http(f"http://127.0.0.1:{port}/health", proc=proc)
        yield f"http://127.0.0.1:{port}", faq_copy
    finally:
        stop(proc)


def _responses(base: str, text: str, intent: str, channel: str = "dm", sender: str = "fan-1",
               metadata: dict | None = None, input_channel: str = "weibo") -> list:
    """The action server's answer to the body Rasa and the Weibo channel send (bot/weibo/actions_call.py)."""
    caller = ActionCaller(f"{base}/webhook", {}, input_channel, timeout=30)
    parse = {"intent": {"name": intent, "confidence": 0.95}, "intent_ranking": [{"name": intent, "confidence": 0.95}],
             "entities": []}
    body = caller.request(sender, text, parse, {"channel": channel, **(metadata or {})})
    body["next_action"] = "action_answer_faq"
    response = requests.post(f"{base}/webhook", json=body, timeout=30)
    response.raise_for_status()
    return response.json()["responses"]


def _call(base: str, text: str, intent: str, channel: str = "dm", sender: str = "fan-1") -> list:
    return [r["text"] for r in _responses(base, text, intent, channel, sender) if r.get("text")]


def _edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _served_within(base: str, expected: str, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if any(expected in r for r in _call(base, "换屏多少钱", "ask_repair_price")):
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"{expected!r} not served within {seconds}s")


def test_answers_by_channel(action_server):
    base, _ = action_server
    dm = _call(base, "换屏多少钱", "ask_repair_price", "dm")
    comment = _call(base, "换屏多少钱", "ask_repair_price", "comment")
    assert dm and comment and "1199" in dm[0] and "1199" in comment[0]
    assert len(comment[0]) <= 140


def test_edited_answer_is_served_within_two_seconds_and_broken_edit_keeps_last_good(action_server):
    base, faq = action_server
    path = faq / "after_sales.yml"
    assert any("1199" in r for r in _call(base, "换屏多少钱", "ask_repair_price"))
    _edit(path, "1199", "1299")
    assert _served_within(base, "1299", 2.0) < 2.0
    # A broken edit (bad indentation) is rejected; the last good answers keep serving.
    _edit(path, "    question: 换屏多少钱？", "  question: 换屏多少钱？\n bad")
    time.sleep(1.5)
    replies = _call(base, "换屏多少钱", "ask_repair_price")
    assert replies and "1299" in replies[0]


def _tickets(tmp_path) -> list:
    from sqlalchemy import select

    from bot.store.db import make_engine, make_session_factory
    from bot.store.tables import tickets

    factory = make_session_factory(make_engine(f"sqlite:///{tmp_path / 'q.sqlite3'}"))
    with factory() as session:
        return [dict(r) for r in session.execute(select(tickets)).mappings().all()]


@pytest.mark.parametrize("text, intent, action, department, reply", [
    ("换屏多少钱", "ask_repair_price", "answer", "after_sales", "1199"),
    ("我的X5屏幕出现绿线了", "device_fault", "handoff", "after_sales", None),
])
def test_hands_its_decision_to_the_weibo_channel_and_writes_nothing(action_server, tmp_path, text, intent, action,
                                                                     department, reply):
    base, _ = action_server
    stored = _responses(base, text, intent, metadata={"report_outcome": True, "inbox_id": 7})
    [decision] = [r["custom"]["bot_outcome"] for r in stored if r.get("custom")]
    assert (decision["action"], decision["department"]) == (action, department)
    assert (reply in decision["reply"]) if reply else not decision["reply"]
    assert decision["ticket"]["original_text"] == text
    assert not [r for r in stored if r.get("text")]  # the channel sends what it commits, not what Rasa says
    assert _tickets(tmp_path) == []  # the channel commits the ticket with the inbox row
    assert not [r for r in _responses(base, text, intent, sender="rest-fan") if r.get("custom")]
    forged = _responses(base, text, intent, sender="rest-fan", input_channel="rest",
                        metadata={"report_outcome": True, "inbox_id": 7})
    assert not [r for r in forged if r.get("custom")]  # only the Weibo channel's metadata is believed


def test_a_rest_caller_cannot_choose_the_channel_fan_or_reply_target(action_server, tmp_path):
    """Forged metadata over REST opens a DM ticket of the caller's own namespace, with no comment
    to reply to, and never lands on a real fan's open ticket."""
    base, _ = action_server
    forged = {"channel": "comment", "cid": "4999", "post_id": "5000", "fan_id": "1001", "conversation_id": "1001"}
    _responses(base, "我的X5屏幕出现绿线了", "device_fault", sender="1001", metadata=forged, input_channel="rest")
    [row] = _tickets(tmp_path)
    assert (row["channel"], row["fan_id"]) == ("dm", "rest:1001")
    assert "4999" not in str(row["reply_target"]) and "5000" not in str(row["reply_target"])


def test_the_actions_do_not_load_tensorflow_or_rasa_nlu():
    """The action server only reads FAQ files: Rasa's ML stack would cost it 0.6-1 GB resident."""
    import subprocess

    probe = "import sys, actions.actions; print('tensorflow' in sys.modules, 'rasa.nlu' in sys.modules)"
    out = subprocess.run([str(BIN / "python"), "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_the_weibo_channel_reaches_the_action_with_the_rule_of_the_intent(action_server):
    import asyncio
    from pathlib import Path

    from bot.respond import OUTCOME_KEY, REPORT_METADATA
    from bot.weibo.actions_call import rule_actions

    base, _ = action_server
    caller = ActionCaller(f"{base}/webhook", rule_actions(Path("data/rules.yml")), "weibo", timeout=30)
    parse = {"intent": {"name": "ask_warranty", "confidence": 0.95}, "entities": [],
             "intent_ranking": [{"name": "ask_warranty", "confidence": 0.95}]}

    async def run() -> list:
        try:
            return await caller.run("dm-1", "X5保修多久", parse, {"channel": "dm", REPORT_METADATA: True})
        finally:
            await caller.close()

    uttered = asyncio.run(run())
    assert caller.action_for(parse) == "action_answer_faq"
    reports = [r["custom"][OUTCOME_KEY] for r in uttered if OUTCOME_KEY in (r.get("custom") or {})]
    assert reports and reports[0]["action"] == "answer" and "1 年" in reports[0]["reply"], uttered
