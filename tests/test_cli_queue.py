"""`bot operators`, `bot queue` and `bot faq suggestions|merge` through the CLI, errors included."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.faq import suggest
from bot.store import operators, queue
from bot.store.db import make_engine, make_session_factory, migrate
from bot.store.tables import outbox


@pytest.fixture
def env(tmp_path, monkeypatch, faq_copy):
    url = f"sqlite:///{tmp_path / 'q.sqlite3'}"
    monkeypatch.setenv("BOT_DATABASE_URL", url)
    monkeypatch.setenv("BOT_FAQ_DIR", str(faq_copy))
    monkeypatch.delenv("BOT_OPERATOR", raising=False)
    migrate(url)
    factory = make_session_factory(make_engine(url))
    return factory, faq_copy


@pytest.fixture
def people(env, monkeypatch):
    factory, _ = env
    for name, role, depts in (("alice", "operator", []), ("bob", "operator", []), ("carol", "member", ["after_sales"])):
        monkeypatch.setattr("sys.stdin", io.StringIO("password-123\n"))
        args = ["operators", "add", name, "--role", role, "--password-stdin"]
        for d in depts:
            args += ["--department", d]
        assert main(args) == 0
    return factory


def _ticket(factory, department="after_sales", channel="dm", target=None, text="屏幕出现绿线") -> int:
    return queue.submit(factory, queue.NewTicket(
        channel=channel, fan_id="5551", conversation_id=f"{channel}:5551:{department}", department=department,
        reason="needs_human", original_text=text, normalised_text=text, intent="device_fault", confidence=0.9,
        reply_target=target))


def run(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_operators_add_hashes_the_password_and_lists(people, capsys):
    assert operators.authenticate(people, "carol", "password-123").departments == ("after_sales",)
    assert operators.authenticate(people, "carol", "wrong-password") is None
    code, out, _ = run(capsys, "operators", "list")
    assert code == 0 and "carol" in out and "after_sales" in out and "all departments" in out


@pytest.mark.parametrize("args,stdin,message", [
    (["operators", "add", "dave"], "password-123\n", "a member needs at least one --department"),
    (["operators", "add", "erin", "--role", "operator"], "short\n", "password too short"),
    (["operators", "add", "alice", "--role", "operator"], "password-123\n", "operator 'alice' already exists"),
])
def test_operators_add_errors(people, capsys, monkeypatch, args, stdin, message):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code, _, err = run(capsys, *args, "--password-stdin")
    assert code == 2 and message in err


def test_full_ticket_workflow_from_the_terminal(people, capsys):
    ticket = _ticket(people)
    code, out, _ = run(capsys, "queue", "list", "--as", "carol")
    assert code == 0 and f"#{ticket}" in out and "waiting" in out
    assert run(capsys, "queue", "claim", str(ticket), "--as", "carol")[1].strip() == f"claimed #{ticket}"
    code, out, _ = run(capsys, "queue", "reply", str(ticket), "您好，请到服务中心检测", "--as", "carol")
    assert code == 0 and "queued for sending" in out
    with people() as session:
        [row] = session.execute(select(outbox)).mappings().all()
    assert (row["channel"], row["receiver_id"], row["text"], row["status"]) == ("dm", "5551", "您好，请到服务中心检测", "pending")
    code, out, _ = run(capsys, "queue", "show", str(ticket), "--as", "carol")
    assert "屏幕出现绿线" in out and "-> carol: 您好，请到服务中心检测" in out and "answered" in out
    assert run(capsys, "queue", "close", str(ticket), "--as", "carol", "--note", "done")[0] == 0
    code, out, _ = run(capsys, "queue", "list", "--as", "carol", "--status", "closed")
    assert f"#{ticket}" in out and "closed" in out


def test_claimed_by_someone_else_is_a_clear_error(people, capsys):
    ticket = _ticket(people)
    run(capsys, "queue", "claim", str(ticket), "--as", "alice")
    code, _, err = run(capsys, "queue", "claim", str(ticket), "--as", "bob")
    assert code == 2 and f"ticket {ticket} is already claimed by alice" in err
    code, _, err = run(capsys, "queue", "close", str(ticket), "--as", "bob")
    assert code == 2 and "claimed by alice" in err


def test_member_cannot_see_or_act_on_other_departments(people, capsys):
    ticket = _ticket(people, department="pr")
    code, out, _ = run(capsys, "queue", "list", "--as", "carol")
    assert f"#{ticket}" not in out
    for args in (("show", str(ticket)), ("claim", str(ticket)), ("reassign", str(ticket), "rnd"),
                 ("reply", str(ticket), "您好"), ("close", str(ticket)), ("dismiss", str(ticket)),
                 ("handback", str(ticket))):
        code, _, err = run(capsys, "queue", *args, "--as", "carol")
        assert code == 2 and "not your department" in err


def test_a_fans_history_note_and_spammer_mark_from_the_cli(people, capsys):
    ticket = _ticket(people, text="屏幕又闪了")
    assert run(capsys, "queue", "note", str(ticket), "第二次来问", "--as", "carol")[0] == 0
    assert run(capsys, "queue", "spammer", str(ticket), "--as", "carol")[0] == 0
    code, out, _ = run(capsys, "queue", "fan", str(ticket), "--as", "carol")
    assert code == 0 and "fan 5551 SPAMMER" in out and "note by carol: 第二次来问" in out and f"#{ticket}" in out
    assert run(capsys, "queue", "spammer", str(ticket), "--undo", "--as", "carol")[0] == 0
    assert "SPAMMER" not in run(capsys, "queue", "fan", str(ticket), "--as", "carol")[1]


def test_a_member_marks_himself_available_and_gets_the_next_ticket(people, capsys):
    code, out, _ = run(capsys, "operators", "available", "carol", "--cap", "3")
    assert code == 0 and "carol takes new tickets (at most 3 claimed at once)" in out
    ticket = _ticket(people)
    with people() as session:
        assert queue.get(session, ticket)["assignee"] == "carol"
    assert "takes no new tickets" in run(capsys, "operators", "available", "carol", "--off")[1]
    code, _, err = run(capsys, "operators", "available", "nobody")
    assert code == 2 and "no operator" in err


def test_a_claim_left_idle_returns_to_the_queue_when_anyone_lists_it(people, capsys):
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import update

    from bot.store.tables import tickets

    ticket = _ticket(people)
    assert run(capsys, "queue", "claim", str(ticket), "--as", "carol")[0] == 0
    with people.begin() as session:
        session.execute(update(tickets).where(tickets.c.id == ticket).values(
            updated_at=datetime.now(timezone.utc) - timedelta(minutes=31)))
    code, out, _ = run(capsys, "queue", "list", "--as", "alice")
    assert code == 0 and f"#{ticket}" in out and "waiting" in out
    with people() as session:
        assert queue.events(session, ticket)[-1]["kind"] == "claim_expired"
        assert queue.get(session, ticket)["assignee"] is None


def test_handing_a_ticket_back_to_the_bot_keeps_it_open(people, capsys):
    ticket = _ticket(people)
    code, out, _ = run(capsys, "queue", "handback", str(ticket), "--as", "carol")
    assert code == 0 and f"#{ticket} handed back to the bot" in out
    with people() as session:
        row = queue.get(session, ticket)
    assert row["status"] == "waiting" and row["handed_back_at"] is not None
    code, _, err = run(capsys, "queue", "handback", str(ticket), "--as", "carol")
    assert code == 2 and "already handed back" in err


def test_reply_too_long_for_a_comment_is_refused_before_sending(people, capsys):
    ticket = _ticket(people, channel="comment", target={"receiver_id": "5551", "cid": "77", "post_id": "88"})
    code, _, err = run(capsys, "queue", "reply", str(ticket), "好" * 141, "--as", "alice")
    assert code == 2 and "reply too long for a comment: 141 characters, at most 140" in err
    assert run(capsys, "queue", "reply", str(ticket), "好" * 140, "--as", "alice")[0] == 0
    with people() as session:
        [row] = session.execute(select(outbox)).mappings().all()
    assert (row["comment_id"], row["post_id"]) == ("77", "88")


@pytest.mark.parametrize("text, reason", [("我们会打给您 13912345678", "手机号"), ("X5 是全网最低价", "全网最低")])
def test_a_public_reply_with_personal_data_or_a_sensitive_word_is_refused_but_a_dm_may_carry_it(
        people, capsys, text, reason):
    ticket = _ticket(people, channel="comment", target={"receiver_id": "5551", "cid": "77", "post_id": "88"})
    code, _, err = run(capsys, "queue", "reply", str(ticket), text, "--as", "alice")
    assert code == 2 and "cannot be posted" in err and reason in err
    with people() as session:
        assert session.execute(select(outbox)).all() == []
    private = _ticket(people, department="rnd", target={"receiver_id": "5551"})
    assert run(capsys, "queue", "reply", str(private), "已记下您的号码 13912345678", "--as", "alice")[0] == 0


def test_a_canned_reply_is_filled_for_the_ticket_and_sent(people, capsys):
    ticket = _ticket(people, text="我的X5寄修好几天了")
    code, out, _ = run(capsys, "canned", "list", "--department", "after_sales")
    assert code == 0 and "repair-received" in out
    assert run(capsys, "queue", "reply", str(ticket), "--canned", "repair-received", "--as", "carol")[0] == 0
    with people() as session:
        [row] = session.execute(select(outbox)).mappings().all()
    assert row["text"].startswith("您好，您寄来的X5已经收到")
    code, _, err = run(capsys, "queue", "reply", str(ticket), "你好", "--canned", "repair-received", "--as", "carol")
    assert code == 2 and "not both" in err
    code, _, err = run(capsys, "queue", "reply", str(ticket), "--canned", "no-such", "--as", "carol")
    assert code == 2 and "bot canned list" in err


def test_canned_check_names_the_problem_and_fails(tmp_path, capsys):
    (tmp_path / "pr.yml").write_text("department: pr\nreplies:\n  - id: x\n    title: t\n    text: \"{昵称}你好\"\n",
                                     encoding="utf-8")
    code, _, err = run(capsys, "canned", "check", str(tmp_path))
    assert code == 1 and "pr.yml:3: [text] 不认识的占位符 {昵称}" in err
    assert run(capsys, "canned", "check")[0] == 0


def test_dismiss_and_reassign(people, capsys):
    first, second = _ticket(people), _ticket(people, department="rnd")
    assert "dismissed" in run(capsys, "queue", "dismiss", str(first), "--as", "alice", "--note", "spam")[1]
    assert "now waits in marketing" in run(capsys, "queue", "reassign", str(second), "marketing", "--as", "alice")[1]
    code, _, err = run(capsys, "queue", "claim", str(first), "--as", "alice")
    assert code == 2 and "dismissed" in err


@pytest.mark.parametrize("args,message", [
    (["queue", "list"], "say who you are"),
    (["queue", "show", "999", "--as", "alice"], "ticket 999 does not exist"),
    (["queue", "list", "--as", "mallory"], "no operator named 'mallory'"),
])
def test_queue_errors(people, capsys, args, message):
    code, _, err = run(capsys, *args)
    assert code == 2 and message in err


def test_suggestion_is_merged_into_the_department_file(people, env, capsys):
    factory, faq_dir = env
    ticket = _ticket(people)
    carol = operators.get(factory, "carol")
    sid = suggest.suggest(factory, carol, ticket, "屏幕有绿线怎么办？", "请到云雀授权服务中心检测。")
    code, out, _ = run(capsys, "faq", "suggestions", "--as", "carol")
    assert f"#{sid}" in out and "屏幕有绿线怎么办" in out
    code, out, _ = run(capsys, "faq", "merge", str(sid), "--as", "carol")
    assert code == 0 and f"suggested-{sid}" in out
    assert "屏幕有绿线怎么办" in (faq_dir / "after_sales.yml").read_text(encoding="utf-8")
    assert run(capsys, "faq", "check", str(faq_dir))[0] == 0
    code, _, err = run(capsys, "faq", "merge", str(sid), "--as", "carol")
    assert code == 2 and "already merged" in err


def test_merge_that_would_break_the_faq_changes_nothing(people, env, capsys):
    factory, faq_dir = env
    alice = operators.get(factory, "alice")
    before = (faq_dir / "after_sales.yml").read_text(encoding="utf-8")
    existing_question = "保修多久？"
    sid = suggest.suggest(factory, alice, None, existing_question, "重复的问题", department="after_sales")
    code, _, err = run(capsys, "faq", "merge", str(sid), "--as", "alice")
    assert code == 2 and "would break the FAQ, nothing was written" in err
    assert (faq_dir / "after_sales.yml").read_text(encoding="utf-8") == before


def test_every_command_has_help_with_an_example(capsys):
    for args in (["queue", "list"], ["queue", "reply"], ["operators", "add"], ["faq", "merge"], ["triage"],
                 ["eval"], ["faq", "check"], ["serve"], ["console"], ["report"], ["demo", "seed"],
                 ["queue", "handback"], ["canned", "list"], ["canned", "check"], ["queue", "fan"],
                 ["queue", "note"], ["queue", "spammer"], ["operators", "available"]):
        with pytest.raises(SystemExit):
            main([*args, "--help"])
        assert "example: bot" in capsys.readouterr().out


def _fan_wrote_hours_ago(factory, ticket: int, hours: float) -> None:
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import update

    from bot.store.tables import ticket_messages

    with factory.begin() as session:
        session.execute(update(ticket_messages).where(ticket_messages.c.ticket_id == ticket).values(
            created_at=datetime.now(timezone.utc) - timedelta(hours=hours)))


@pytest.mark.parametrize("hours, refused", [(47, False), (49, True)])
def test_a_private_reply_after_weibos_48_hour_window_is_refused_with_the_alternative(people, capsys, hours, refused):
    ticket = _ticket(people)
    _fan_wrote_hours_ago(people, ticket, hours)
    code, out, err = run(capsys, "queue", "reply", str(ticket), "您好，请到服务中心检测", "--as", "alice")
    with people() as session:
        queued = session.execute(select(outbox)).all()
    if refused:
        assert code == 2 and "more than 48 hours ago" in err and "Reply under one of the fan's comments" in err
        assert queued == []
    else:
        assert code == 0 and len(queued) == 1


def test_the_48_hour_window_does_not_apply_to_comment_replies(people, capsys):
    ticket = _ticket(people, channel="comment", target={"receiver_id": "5551", "cid": "77", "post_id": "88"})
    _fan_wrote_hours_ago(people, ticket, 100)
    assert run(capsys, "queue", "reply", str(ticket), "您好", "--as", "alice")[0] == 0
