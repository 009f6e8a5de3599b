"""The Weibo stand-in speaks the protocol of weibo-api.md over real HTTP and injects faults on demand."""

from __future__ import annotations

import json
import re
import sys
import time

import pytest
import requests

from bot.weibo.standin import (
    COMMENT_REPLY,
    COMMENTS_MENTIONS,
    COMMENTS_TO_ME,
    DM_REPLY,
    WeiboStandIn,
)
from tests.helpers import free_port, start, stop, wait_http

TOKEN = "token-under-test"
WEIBO_TIME = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} \+0800 \d{4}$")


@pytest.fixture(scope="module")
def server():
    standin = WeiboStandIn(access_token=TOKEN).start()
    yield standin
    standin.stop()


@pytest.fixture
def weibo(server: WeiboStandIn) -> WeiboStandIn:
    server.reset()
    return server


def send_dm(weibo: WeiboStandIn, text: str = "您好", timeout: float = 5, **fields: str) -> requests.Response:
    form = {"access_token": TOKEN, "type": "text", "data": json.dumps({"text": text}, ensure_ascii=False),
            "receiver_id": "3001234567", **fields}
    return requests.post(weibo.base_url + DM_REPLY, data=form, timeout=timeout)


def read_feed(weibo: WeiboStandIn, path: str = COMMENTS_TO_ME, **params: object) -> requests.Response:
    return requests.get(weibo.base_url + path, params={"access_token": TOKEN, **params}, timeout=5)


def reply_to(weibo: WeiboStandIn, comment: dict, text: str, **fields: object) -> requests.Response:
    form = {"access_token": TOKEN, "cid": comment["id"], "id": comment["status"]["id"], "comment": text,
            **fields}
    return requests.post(weibo.base_url + COMMENT_REPLY, data=form, timeout=5)


def ids(response: requests.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["comments"]]


def test_dm_reply_is_accepted_and_recorded_with_decoded_text(weibo):
    response = send_dm(weibo, "您好，售后电话是 400-000-0000")
    assert response.status_code == 200
    body = response.json()
    assert body["result"] is True and body["sender_id"] == 9000 and body["receiver_id"] == 3001234567
    assert body["type"] == "text" and json.loads(body["data"]) == {"text": "您好，售后电话是 400-000-0000"}
    [call] = weibo.received(DM_REPLY)
    assert call["json"] == {"text": "您好，售后电话是 400-000-0000"}
    assert call["form"]["receiver_id"] == "3001234567" and call["form"]["access_token"] == TOKEN
    assert call["time"] <= time.time() and weibo.rejected() == []


@pytest.mark.parametrize(("length", "status"), [(1, 200), (299, 200), (300, 400), (1000, 400)])
def test_dm_text_must_be_under_300_characters(weibo, length, status):
    response = send_dm(weibo, "字" * length)
    assert response.status_code == status
    if status == 400:
        assert response.json()["error_code"] == 20012
        assert weibo.received() == [] and weibo.rejected()[0]["status"] == 400


@pytest.mark.parametrize("fields", [
    {"type": "voice"},
    {"data": "{not json"},
    {"data": json.dumps({"text": ""})},
    {"receiver_id": ""},
    {"receiver_id": "fan-1"},
    {"save_sender_box": "2"},
], ids=["unknown-type", "invalid-json", "empty-text", "missing-receiver", "non-numeric-receiver", "bad-flag"])
def test_malformed_dm_reply_is_rejected_with_400_json_error(weibo, fields):
    response = send_dm(weibo, **fields)
    assert response.status_code == 400
    assert set(response.json()) == {"error", "error_code"}
    assert weibo.received() == []


@pytest.mark.parametrize("path", [DM_REPLY, COMMENTS_TO_ME, COMMENT_REPLY])
@pytest.mark.parametrize("token", ["wrong-token", ""])
def test_bad_or_missing_token_is_rejected_with_401(weibo, path, token):
    comment = weibo.add_comment("在吗")
    form = {"access_token": token, "type": "text", "data": '{"text": "hi"}', "receiver_id": "1",
            "cid": comment["id"], "id": comment["status"]["id"], "comment": "在的"}
    if path == COMMENTS_TO_ME:
        response = requests.get(weibo.base_url + path, params={"access_token": token}, timeout=5)
    else:
        response = requests.post(weibo.base_url + path, data=form, timeout=5)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_access_token", "error_code": 21332}
    assert weibo.received() == [] and weibo.rejected()[0]["error_code"] == 21332


def test_comment_feed_is_newest_first_with_weibo_shaped_comments(weibo):
    added = [weibo.add_comment(f"评论{i}", user_id=1000 + i, screen_name=f"fan{i}") for i in range(3)]
    response = read_feed(weibo)
    assert ids(response) == [c["id"] for c in reversed(added)]
    body = response.json()
    assert body["total_number"] == 3 and body["previous_cursor"] == 0 and body["next_cursor"] == 0
    newest = body["comments"][0]
    assert newest["text"] == "评论2"
    assert newest["idstr"] == str(newest["id"]) and newest["mid"] == str(newest["id"])
    assert WEIBO_TIME.match(newest["created_at"]) and newest["source"]
    assert newest["user"] == {"id": 1002, "idstr": "1002", "screen_name": "fan2", "followers_count": 10,
                              "verified": False}
    assert newest["status"]["id"] == 5000 and newest["status"]["idstr"] == "5000"
    assert "reply_comment" not in newest


def test_added_comment_keeps_a_given_created_at(weibo):
    weibo.add_comment("旧评论", created_at="Mon Jul 16 18:09:20 +0800 2012")
    assert read_feed(weibo).json()["comments"][0]["created_at"] == "Mon Jul 16 18:09:20 +0800 2012"


@pytest.mark.parametrize(("params", "expected"), [
    ({}, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]),
    ({"since_id": 6}, [9, 8, 7]),
    ({"max_id": 3}, [3, 2, 1, 0]),
    ({"since_id": 2, "max_id": 6}, [6, 5, 4, 3]),
    ({"count": 3}, [9, 8, 7]),
    ({"count": 3, "page": 2}, [6, 5, 4]),
    ({"count": 3, "page": 4}, [0]),
    ({"count": 3, "page": 5}, []),
    ({"since_id": 4, "count": 2, "page": 2}, [7, 6]),
], ids=["all", "since", "max", "since-and-max", "count", "page-2", "last-page", "past-the-end",
        "since-paged"])
def test_comment_feed_pages_with_since_id_max_id_count_and_page(weibo, params, expected):
    added = [weibo.add_comment(f"c{i}")["id"] for i in range(10)]
    as_ids = {k: added[v] if k in ("since_id", "max_id") else v for k, v in params.items()}
    assert ids(read_feed(weibo, **as_ids)) == [added[i] for i in expected]


def test_comment_feed_count_defaults_to_50_and_is_capped_at_200(weibo):
    for i in range(250):
        weibo.add_comment(f"c{i}")
    assert len(ids(read_feed(weibo))) == 50
    assert len(ids(read_feed(weibo, count=500))) == 200
    assert read_feed(weibo, count=500).json()["total_number"] == 250


@pytest.mark.parametrize("params", [{"count": 0}, {"page": 0}, {"since_id": "abc"}, {"max_id": "-1"}])
def test_comment_feed_rejects_invalid_paging_parameters(weibo, params):
    assert read_feed(weibo, **params).status_code == 400


def test_mentions_feed_is_separate_from_comments_to_me(weibo):
    to_me = weibo.add_comment("评论")
    mention = weibo.add_comment("@云雀手机 看看这个", mentions=True)
    assert ids(read_feed(weibo, COMMENTS_TO_ME)) == [to_me["id"]]
    assert ids(read_feed(weibo, COMMENTS_MENTIONS)) == [mention["id"]]
    assert [c["path"] for c in weibo.received()] == [COMMENTS_TO_ME, COMMENTS_MENTIONS]


def test_comment_ids_increase_and_are_int64(weibo):
    first, second = weibo.add_comment("a"), weibo.add_comment("b")
    assert 2**53 > first["id"] > 10**15 and second["id"] > first["id"]
    weibo.reset()
    assert weibo.add_comment("c")["id"] > second["id"]


@pytest.mark.parametrize(("fields", "text"), [({}, "回复@小王:谢谢反馈"), ({"without_mention": 1}, "谢谢反馈")])
def test_comment_reply_answers_with_the_reply_comment(weibo, fields, text):
    comment = weibo.add_comment("屏幕有亮点", user_id=42, screen_name="小王", post_id=777)
    response = reply_to(weibo, comment, "谢谢反馈", **fields)
    assert response.status_code == 200
    reply = response.json()
    assert reply["text"] == text and reply["id"] > comment["id"]
    assert reply["user"]["id"] == 9000 and reply["status"]["id"] == 777
    assert reply["reply_comment"]["id"] == comment["id"]
    assert weibo.received(COMMENT_REPLY)[0]["form"]["comment"] == "谢谢反馈"


@pytest.mark.parametrize(("length", "status"), [(140, 200), (141, 400)])
def test_comment_reply_is_at_most_140_characters(weibo, length, status):
    response = reply_to(weibo, weibo.add_comment("问"), "答" * length)
    assert response.status_code == status
    if status == 400:
        assert response.json()["error_code"] == 20012


def test_identical_comment_reply_twice_in_a_row_is_rejected(weibo):
    first, second = weibo.add_comment("问题一"), weibo.add_comment("问题二")
    assert reply_to(weibo, first, "已收到").status_code == 200
    repeated = reply_to(weibo, second, "已收到")
    assert repeated.status_code == 400
    assert repeated.json() == {"error": "repeated content", "error_code": 20019}
    assert reply_to(weibo, second, "已收到，稍后回复").status_code == 200
    assert reply_to(weibo, first, "已收到").status_code == 200  # no longer "in a row"
    assert len(weibo.received(COMMENT_REPLY)) == 3 and len(weibo.rejected()) == 1


def test_comment_reply_to_unknown_comment_or_wrong_post_is_rejected(weibo):
    comment = weibo.add_comment("问", post_id=5000)
    unknown = reply_to(weibo, {"id": comment["id"] + 999, "status": {"id": 5000}}, "答")
    assert unknown.status_code == 400 and unknown.json()["error_code"] == 20101
    wrong_post = reply_to(weibo, {"id": comment["id"], "status": {"id": 5001}}, "答")
    assert wrong_post.status_code == 400
    assert weibo.received() == []


def test_fail_next_answers_503_twice_then_succeeds(weibo):
    weibo.fail_next(DM_REPLY, status=503, times=2)
    statuses = [send_dm(weibo).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert [r["status"] for r in weibo.rejected()] == [503, 503]
    assert len(weibo.received(DM_REPLY)) == 1


def test_fail_next_applies_before_validation_with_the_error_body(weibo):
    weibo.fail_next(COMMENTS_TO_ME, status=500)
    response = requests.get(weibo.base_url + COMMENTS_TO_ME, params={"access_token": "wrong"}, timeout=5)
    assert response.status_code == 500
    assert set(response.json()) == {"error", "error_code"}


def test_timeout_next_times_out_the_client_and_records_the_call_once_answered(weibo):
    weibo.timeout_next(DM_REPLY, delay=2.0)
    sent = time.time()
    with pytest.raises(requests.Timeout):
        send_dm(weibo, "迟到的回复", timeout=1)
    assert weibo.received() == []  # not answered yet
    deadline = time.monotonic() + 5
    while not weibo.received() and time.monotonic() < deadline:
        time.sleep(0.05)
    [call] = weibo.received(DM_REPLY)
    assert call["json"] == {"text": "迟到的回复"} and call["time"] >= sent + 2.0
    assert send_dm(weibo, "下一条", timeout=1).status_code == 200  # only the next call was held


def test_slow_delays_every_call_until_cleared(weibo):
    weibo.slow(COMMENTS_TO_ME, 0.3)
    for _ in range(2):
        began = time.monotonic()
        assert read_feed(weibo).status_code == 200
        assert time.monotonic() - began >= 0.3
    weibo.slow(COMMENTS_TO_ME, 0)
    began = time.monotonic()
    read_feed(weibo)
    assert time.monotonic() - began < 0.3


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/2/statuses/home_timeline.json", 404),
    ("POST", "/2/comments/reply.json", 404),
    ("GET", DM_REPLY, 405),
    ("POST", COMMENTS_TO_ME, 405),
    ("DELETE", COMMENT_REPLY, 405),
])
def test_unknown_path_is_404_and_wrong_method_is_405_as_json(weibo, method, path, status):
    response = requests.request(method, weibo.base_url + path, params={"access_token": TOKEN}, timeout=5)
    assert response.status_code == status
    assert set(response.json()) == {"error", "error_code"}
    assert weibo.rejected()[0]["status"] == status and weibo.received() == []


def test_fault_injection_on_an_unknown_path_fails_fast():
    standin = WeiboStandIn()
    with pytest.raises(ValueError):
        standin.fail_next("/2/messages/reply")
    with pytest.raises(RuntimeError):
        _ = standin.base_url


def test_cli_serves_in_the_foreground_and_prints_received_calls(tmp_path):
    port = free_port()
    log = tmp_path / "standin.log"
    command = [sys.executable, "-m", "bot.weibo.standin", "--port", str(port), "--token", "cli-token"]
    proc = start(command, {}, log)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + COMMENTS_TO_ME, timeout=20, proc=proc)
        form = {"access_token": "cli-token", "type": "text", "data": '{"text": "演示"}', "receiver_id": "7"}
        assert requests.post(base + DM_REPLY, data=form, timeout=5).status_code == 200
        deadline = time.monotonic() + 5
        while "演示" not in log.read_text(encoding="utf-8") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert f"stand-in at {base}" in log.read_text(encoding="utf-8")
        assert any(json.loads(line).get("json") == {"text": "演示"}
                   for line in log.read_text(encoding="utf-8").splitlines() if line.startswith("{"))
    finally:
        stop(proc)


def test_keeps_a_connection_alive_and_closes_it_on_stop():
    import http.client
    from urllib.parse import urlsplit

    standin = WeiboStandIn(access_token=TOKEN).start()
    address = urlsplit(standin.base_url)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=5)
    sockets = []
    for _ in range(2):
        conn.request("GET", f"{COMMENTS_TO_ME}?access_token={TOKEN}")
        answer = conn.getresponse()
        answer.read()
        assert (answer.status, answer.version) == (200, 11)
        sockets.append(conn.sock)
    assert sockets[0] is sockets[1] is not None  # one TCP connection served both calls
    standin.stop()
    with pytest.raises((OSError, http.client.HTTPException)):
        conn.request("GET", f"{COMMENTS_TO_ME}?access_token={TOKEN}")
        conn.getresponse()
    assert len(standin.received(COMMENTS_TO_ME)) == 2  # the call after stop() never arrived
