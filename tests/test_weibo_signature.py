"""Weibo's signature and push validation."""

import json

import pytest

from bot.weibo.channel import validate_push
from bot.weibo.signature import sign, verify


def test_reference_test_vector():
    assert sign("xyz123xyz", "1397022061823", "57155157") == "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1"


@pytest.mark.parametrize("secret,signature,ok", [
    ("xyz123xyz", "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1", True),
    ("xyz123xyz", "90E4C22C90A58F26526C2DD5B6C56C8822EDEAA1", True),
    ("other", "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1", False),
    ("xyz123xyz", "", False),
    ("", sign("", "1397022061823", "57155157"), False),
])
def test_verify(secret, signature, ok):
    assert verify(secret, signature, "1397022061823", "57155157") is ok


GOOD = {"type": "text", "receiver_id": 9000, "sender_id": 123, "created_at": "Mon Jul 16 18:09:20 +0800 2012",
        "text": "你好", "data": {}}


@pytest.mark.parametrize("body,message", [
    (b"", "not JSON"),
    (b"[1, 2]", "JSON object"),
    (json.dumps({**GOOD, "sender_id": None}).encode(), "missing field(s): sender_id"),
    (json.dumps({**GOOD, "receiver_id": "x1"}).encode(), "receiver_id must be an int64 id"),
    (json.dumps({**GOOD, "text": 5}).encode(), "needs a string `text`"),
    (json.dumps({**GOOD, "data": "x"}).encode(), "`data` must be a JSON object"),
])
def test_malformed_pushes_are_explained(body, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("`", "`")):
        validate_push(body)


def test_valid_push_passes_and_unknown_types_are_not_rejected():
    assert validate_push(json.dumps(GOOD).encode())["text"] == "你好"
    assert validate_push(json.dumps({**GOOD, "type": "hologram", "text": None}).encode())["type"] == "hologram"


@pytest.mark.parametrize("offset,ok", [(0, True), (-299, True), (299, True), (-301, False), (3600, False)])
@pytest.mark.parametrize("unit", [1, 1000])  # seconds, or milliseconds like Weibo's example
def test_a_signed_timestamp_is_fresh_for_five_minutes(offset, ok, unit):
    from bot.weibo.signature import fresh

    now = 1_780_000_000.0
    assert fresh(str(int((now + offset) * unit)), now=now) is ok


@pytest.mark.parametrize("bad", ["", "abc", "1e400x"])
def test_an_unreadable_timestamp_is_never_fresh(bad):
    from bot.weibo.signature import fresh

    assert fresh(bad) is False
