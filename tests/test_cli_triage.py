"""`bot triage` and `bot eval` driven through the CLI on the trained model."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from bot.store import queue
from bot.store.db import make_engine, make_session_factory
from bot.triage import OUTPUT_FIELDS
from tests.conftest import DEV_SET, ROOT


@pytest.fixture
def db_env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'q.sqlite3'}"
    monkeypatch.setenv("BOT_DATABASE_URL", url)
    return url


def test_triage_writes_one_line_per_valid_input_in_order_and_queues_handoffs(tmp_path, db_env, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join([
        json.dumps({"id": "a", "channel": "comment", "text": "X5 12+256多少钱", "expect": "answer"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "b", "channel": "dm", "text": "我的订单YQ20261120008812三天了物流还没更新"}, ensure_ascii=False),
        json.dumps({"id": "c", "channel": "sms", "text": "hi"}),
        json.dumps({"id": "d", "channel": "comment", "text": "兼职日结300 加V"}, ensure_ascii=False),
        json.dumps({"id": "e", "text": "no channel"}),
        "",
        json.dumps({"id": "f", "channel": "comment", "text": "//@某某: 转发微博"}, ensure_ascii=False),
    ]), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["triage", str(source), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "line 2: not valid JSON" in err
    assert "line 4: channel must be" in err
    assert "line 6: missing field(s) channel" in err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "d", "f"]
    assert all(tuple(r) == OUTPUT_FIELDS for r in rows)
    by_id = {r["id"]: r for r in rows}
    assert by_id["a"]["action"] == "answer" and "3799" in by_id["a"]["reply"]
    assert (by_id["b"]["action"], by_id["b"]["department"]) == ("handoff", "orders_logistics")
    assert by_id["d"]["action"] == "ignore" and by_id["f"]["action"] == "ignore"
    factory = make_session_factory(make_engine(db_env))
    with factory() as session:
        tickets = queue.listing(session)
    assert [(t["department"], t["channel"]) for t in tickets] == [("orders_logistics", "dm")]


def test_dry_run_writes_no_tickets(tmp_path, db_env):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "x", "channel": "dm", "text": "屏幕出现绿线了 刚买一个月"},
                                 ensure_ascii=False), encoding="utf-8")
    assert main(["triage", str(source), "--dry-run", "-o", str(tmp_path / "o.jsonl")]) == 0
    assert not (tmp_path / "q.sqlite3").exists()


def test_eval_prints_figures_and_fails_below_a_bound(capsys):
    assert main(["eval", str(DEV_SET), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for key in ("auto_answer_precision", "answer_coverage", "handoff_recall", "routing_accuracy",
                "spam_ignore_rate", "outcome_accuracy", "departments", "wrong"):
        assert key in report
    assert report["cases"] == sum(1 for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip())
    assert main(["eval", str(DEV_SET), "--min-precision", "1.01"]) == 1
    assert "FAIL: precision" in capsys.readouterr().err


def test_now_replays_a_set_at_the_time_it_was_labelled(tmp_path, capsys):
    # The X5 lottery entry ends 2026-12-01 20:00: before it the how-to answer, after it the ended notice.
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "l", "channel": "comment", "text": "转发抽奖怎么参加"}, ensure_ascii=False),
                      encoding="utf-8")
    replies = {}
    for now in ("2026-12-01T18:00", "2026-12-03T10:00"):
        out = tmp_path / f"{now[:10]}.jsonl"
        assert main(["triage", str(source), "--dry-run", "--now", now, "-o", str(out)]) == 0
        replies[now] = json.loads(out.read_text(encoding="utf-8"))["reply"]
    assert replies["2026-12-01T18:00"] != replies["2026-12-03T10:00"]
    assert "结束" in replies["2026-12-03T10:00"] or "截止" in replies["2026-12-03T10:00"]


def test_a_bad_now_is_a_clear_error(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "channel": "dm", "text": "X5多少钱"}, ensure_ascii=False), encoding="utf-8")
    assert main(["triage", str(source), "--dry-run", "--now", "yesterday"]) != 0
    assert "--now 'yesterday' is not an ISO time" in capsys.readouterr().err


def test_eval_prints_the_confusion_the_curve_and_the_families(tmp_path, capsys):
    cases = [
        {"id": "1", "channel": "comment", "text": "X5多少钱", "expect": "answer", "department": "pre_sales",
         "must_contain": [["3499"]], "must_not_contain": [], "family": "plain"},
        {"id": "2", "channel": "comment", "text": "兼职日结300 加V", "expect": "ignore", "department": None,
         "must_contain": [], "must_not_contain": [], "family": "spam"},
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in cases), encoding="utf-8")
    assert main(["eval", str(path), "--now", "2026-12-01T18:00", "--curve"]) == 0
    out = capsys.readouterr().out
    assert "outcomes (rows: expected" in out and "precision-coverage" in out and "spam" in out
    assert main(["eval", str(path), "--now", "2026-12-01T18:00", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["confusion"]["answer"] == {"answer": 1} and report["confusion"]["ignore"] == {"ignore": 1}
    assert report["groups"]["plain"]["answered"] == 1 and report["groups"]["spam"]["ticketed"] == 0
    assert report["curve"][0]["threshold"] == 0.0 and report["curve"][0]["precision"] == 1.0


def test_a_ticket_for_a_partly_covered_message_carries_the_drafted_answer(tmp_path, db_env):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "m", "channel": "dm", "text": "X5多少钱?另外你们考虑出笔记本吗"},
                                 ensure_ascii=False), encoding="utf-8")
    assert main(["triage", str(source), "--now", "2026-12-01T18:00", "-o", str(tmp_path / "o.jsonl")]) == 0
    factory = make_session_factory(make_engine(db_env))
    with factory() as session:
        [ticket] = queue.listing(session)
        stored = queue.get(session, ticket["id"])
    assert stored["department"] == "product"
    assert "3499" in stored["draft_reply"]


def test_two_worker_processes_decide_exactly_as_one(tmp_path):
    source = tmp_path / "in.jsonl"
    lines = DEV_SET.read_text(encoding="utf-8").splitlines()[:60]
    source.write_text("\n".join(lines), encoding="utf-8")
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}.jsonl"
        assert main(["triage", str(source), "--dry-run", "--workers", workers, "--batch-size", "7",
                     "--now", "2026-11-25T12:00", "-o", str(out)]) == 0
        outputs.append(out.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1] and len(outputs[0].splitlines()) == 60


def test_a_missing_input_file_is_a_clear_error(tmp_path, capsys):
    assert main(["triage", str(tmp_path / "nope.jsonl"), "--dry-run"]) != 0
    assert "nope.jsonl: cannot read it" in capsys.readouterr().err


@pytest.mark.parametrize("now, noted", [("2026-12-01T23:30", True), ("2026-12-01T10:00", False)])
def test_a_dm_handed_to_people_outside_service_hours_is_told_when_they_answer(tmp_path, monkeypatch, now, noted):
    monkeypatch.setenv("BOT_SERVICE_HOURS", str(ROOT / "data" / "service_hours.yml"))
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps({"id": "1", "channel": "dm", "text": "我的订单三天了还没发货怎么回事"}, ensure_ascii=False)
                      + "\n" + json.dumps({"id": "2", "channel": "comment", "text": "我的订单三天了还没发货怎么回事"},
                                          ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["triage", str(source), "--dry-run", "--workers", "1", "--now", now, "-o", str(out)]) == 0
    dm, comment = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert dm["action"] == comment["action"] == "handoff" and comment["reply"] is None
    assert (dm["reply"] is not None and "12 月 2 日 09:00" in dm["reply"]) is noted
    assert noted or dm["reply"] is None
