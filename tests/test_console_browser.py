"""The operators' web console in a real browser (Debian's chromium driven by Playwright).

One console process serves a temporary SQLite queue for the whole module; every test signs in
with its own browser context, so cookies never leak between operators. Replies are delivered by
the real outbox worker code to the Weibo stand-in.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import List

import pytest
import requests
from sqlalchemy import select, update

from bot import handoff
from bot.faq import suggest as faq_suggest
from bot.store import fans as fans_store
from bot.store import messages as box
from bot.store import operators, queue
from bot.store import sign_ins as sign_ins_log
from bot.store.queue import NewTicket
from bot.store.tables import faq_suggestions, outbox, sign_ins, tickets
from bot.weibo.api import DM_REPLY
from bot.weibo.client import WeiboClient
from bot.weibo.service import WeiboService
from bot.weibo.standin import WeiboStandIn
from tests.browser import CHROMIUM, PASSWORD, Operator, console_world
from tests.conftest import ROOT

sync_api = pytest.importorskip("playwright.sync_api")

TOKEN = "console-test-token"
SCRIPT = "<script>alert(1)</script>"
# Screenshots go to tests/artifacts/ (ignored), so a test run leaves the tree clean; the README's
# pictures are refreshed with BOT_SCREENSHOTS=docs/screenshots.
SCREENSHOTS = ROOT / os.environ.get("BOT_SCREENSHOTS", "tests/artifacts/screenshots")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


def _ticket(world, department: str, text: str, channel: str = "dm", fan_id: str | None = None,
            **extra) -> int:
    fan_id = fan_id or str(uuid.uuid4().int % 10**9 + 10**9)
    target = extra.pop("reply_target", {"receiver_id": fan_id})
    return queue.submit(world.factory, NewTicket(
        channel=channel, fan_id=fan_id, conversation_id=f"{channel}:{uuid.uuid4().hex}", department=department,
        reason=extra.pop("reason", "needs_human"), original_text=text, normalised_text=text,
        reply_target=target, **extra))


def _backdate(world, ticket_id: int, minutes: int) -> None:
    with world.factory.begin() as session:
        session.execute(update(tickets).where(tickets.c.id == ticket_id).values(
            created_at=datetime.now(timezone.utc) - timedelta(minutes=minutes)))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    people = (("alice", "operator", ()), ("bob", "operator", ()), ("carol", "member", ("after_sales",)))
    with console_world(tmp_path_factory.mktemp("console"), people) as world:
        world.standin = WeiboStandIn(access_token=TOKEN).start()
        try:
            _fill(world)
            yield world
        finally:
            world.standin.stop()


def _fill(world) -> None:
    factory = world.factory
    world.script_ticket = _ticket(
        world, "after_sales", f"X5 屏幕出现一条绿线，重启也没用 {SCRIPT} 怎么办？", fan_id="1000001",
        intent="device_fault", confidence=0.82,
        faq_candidates=[{"id": "after_sales-warranty-phone", "score": 0.34, "question": "手机保修多久？"},
                        {"id": "after_sales-repair-where", "score": 0.21, "question": "去哪里修手机？"}])
    world.pr_ticket = _ticket(world, "pr", "三次维修都没修好，再不处理我就去黑猫投诉！", reason="complaint",
                              intent="complaint", confidence=0.91, priority=2)
    world.old_ticket = _ticket(world, "orders_logistics", "订单 5号下的，物流一直显示揽收，能帮我查一下吗",
                               reason="order_specific", intent="order_problem", confidence=0.77, priority=1)
    _backdate(world, world.old_ticket, 125)
    world.comment_ticket = _ticket(
        world, "pre_sales", "公司想采购 200 台 X5，开机画面能定制吗？", channel="comment", intent="bulk_purchase",
        confidence=0.66, reply_target={"receiver_id": "1000004", "cid": "4900000000000001", "post_id": "5000"})
    _backdate(world, world.comment_ticket, 12)
    world.rnd_ticket = _ticket(world, "rnd", "升级 3.0.3 以后蓝牙耳机老断开", intent="software_bug", confidence=0.58)
    world.closed_ticket = _ticket(world, "after_sales", "已经解决了，谢谢", intent="thanks", reason="low_confidence")
    queue.close(factory, world.closed_ticket, "alice", "粉丝已解决")



def _deliver_outbox(world) -> None:
    """Run the service's delivery step once for every due reply (as its worker loop would)."""

    async def drain() -> None:
        client = WeiboClient(world.standin.base_url, TOKEN)
        service = WeiboService(world.factory, client, poll_seconds=60, poll_comments=False)
        try:
            await service.delivery.deliver_batch(box.claim_due(world.factory, 50, service.worker_id))
        finally:
            await client.close()

    # Playwright's sync API keeps its own event loop on this thread: run ours on another one.
    errors: List[BaseException] = []
    thread = threading.Thread(target=lambda: _capture(errors, lambda: asyncio.run(drain())))
    thread.start()
    thread.join(30)
    assert not thread.is_alive() and not errors, errors


def _capture(errors: List[BaseException], fn) -> None:
    try:
        fn()
    except BaseException as exc:  # reported by the caller's assert
        errors.append(exc)


# ---------------------------------------------------------------------------------------------- tests


def test_sign_in_rejects_a_wrong_password_and_pages_need_a_session(browser, world):
    operator = Operator(browser, world, "alice")
    try:
        response = operator.goto("/")
        assert operator.page.url == world.base + "/login" and response.status == 200
        response = operator.sign_in(password="wrong-password")
        assert response.status == 401
        assert "用户名或密码错误" in operator.text()
        assert operator.page.url == world.base + "/login"
        response = operator.sign_in()
        assert response.status == 200 and operator.page.url == world.base + "/"
        assert "工单队列" in operator.text() and "alice" in operator.text()
        cookie = next(c for c in operator.context.cookies() if c["name"] == "bot_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    finally:
        operator.context.close()


def test_guessing_a_password_is_slowed_down_and_every_attempt_is_logged(browser, world):
    operators.add(world.factory, "target", PASSWORD, role="operator")
    operator = Operator(browser, world, "target")
    try:
        statuses = [operator.sign_in(password=f"guess-{i}").status for i in range(30)]
        # Five are heard at once; after that a guess is heard only once its wait (2, 4, 8 s...) has run.
        assert statuses[:5] == [401] * 5 and statuses.count(429) >= 15 and set(statuses) == {401, 429}
        # One more wrong guess this instant (a slow machine may have let the last wait run out):
        sign_ins_log.record(world.factory, "target", "127.0.0.1", sign_ins_log.FAILED)
        response = operator.sign_in()  # the right password is not heard while the wait runs
        assert response.status == 429 and "秒后再试" in operator.text()
        assert int(response.headers["retry-after"]) >= 1
    finally:
        operator.context.close()
    with world.factory() as session:
        results = session.execute(select(sign_ins.c.result).where(sign_ins.c.operator == "target")).scalars().all()
    assert results.count("failed") == statuses.count(401) + 1 and results.count("throttled") == statuses.count(429) + 1


def test_cookies_are_marked_secure_when_the_console_is_served_over_https(tmp_path, world):
    with console_world(tmp_path, (), {"BOT_CONSOLE_SECURE_COOKIES": "1"}) as secure:
        response = requests.get(secure.base + "/login", timeout=10)
    assert response.status_code == 200 and "secure" in response.headers["set-cookie"].lower()
    assert "secure" not in requests.get(world.base + "/login", timeout=10).headers["set-cookie"].lower()


def test_the_queue_searches_in_the_database_and_pages_without_a_silent_limit(sign_in, world):
    made = [_ticket(world, "rnd", f"分页测试第{n}条：升级后蓝牙断连") for n in range(55)]
    alice = sign_in("alice")
    alice.goto("/?q=分页测试&status=all")
    assert "共 55 张工单，第 1 / 2 页" in alice.page.inner_text("#total")
    first = set(alice.queue_rows())
    with alice.page.expect_navigation():
        alice.page.click("nav.pages a[rel=next]")
    assert "第 2 / 2 页" in alice.page.inner_text("#total") and "q=" in alice.page.url
    second = set(alice.queue_rows())
    assert first | second == set(made) and not first & second and len(second) == 5
    alice.goto(f"/?q=%23{made[3]}&status=all")
    assert set(alice.queue_rows()) == {made[3]}
    assert alice.goto("/?page=0").status == 400


def test_queue_lists_filters_and_shows_the_dashboard(sign_in, world):
    alice = sign_in("alice")
    rows = alice.queue_rows()
    expected = {world.script_ticket, world.pr_ticket, world.old_ticket, world.comment_ticket, world.rnd_ticket}
    assert expected <= set(rows) and world.closed_ticket not in rows
    order = [i for i in rows if i in expected]
    assert order[:2] == [world.pr_ticket, world.old_ticket]  # priority first, then age
    assert "公关部（pr）" in rows[world.pr_ticket][1] and "waiting" in rows[world.pr_ticket][2]
    assert "黑猫投诉" in rows[world.pr_ticket][7] and "投诉（complaint）" in rows[world.pr_ticket][5]
    assert rows[world.old_ticket][8] == "2 小时 5 分" and rows[world.comment_ticket][8] == "12 分钟"
    assert SCRIPT in rows[world.script_ticket][7]
    board = alice.page.inner_text("section.board")
    assert "等待最久" in board and "今日自动回复占比" in board and "2 小时 5 分" in board
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    alice.page.screenshot(path=str(SCREENSHOTS / "queue.png"), full_page=True)

    alice.page.select_option("select[name=department]", "pr")
    alice.submit("form.filters")
    assert "department=pr" in alice.page.url
    rows = alice.queue_rows()
    assert set(rows) == {world.pr_ticket}

    alice.page.select_option("select[name=department]", "after_sales")
    alice.page.select_option("select[name=status]", "closed")
    alice.submit("form.filters")
    rows = alice.queue_rows()
    assert world.closed_ticket in rows and world.script_ticket not in rows
    assert all("closed" in cells[2] and "after_sales" in cells[1] for cells in rows.values())

    alice.page.select_option("select[name=status]", "all")
    alice.submit("form.filters")
    assert {world.closed_ticket, world.script_ticket} <= set(alice.queue_rows())

    alice.page.select_option("select[name=department]", "")
    alice.page.select_option("select[name=status]", "open")
    alice.page.fill("input[name=older]", "60")
    alice.submit("form.filters")
    assert set(alice.queue_rows()) == {world.old_ticket}

    response = alice.goto("/?status=bogus")
    assert response.status == 400 and "unknown status" in alice.text()
    response = alice.goto("/tickets/999999")
    assert response.status == 400 and "ticket 999999 does not exist" in alice.text()
    response = alice.goto("/no-such-page")
    assert response.status == 404 and "Traceback" not in alice.text()


def test_claim_reply_reaches_weibo_and_close(sign_in, world):
    alice = sign_in("alice")
    alice.goto(f"/tickets/{world.script_ticket}")
    page_text = alice.text()
    assert SCRIPT in page_text and "device_fault" in page_text and "0.82" in page_text
    assert "after_sales-warranty-phone" in page_text and "手机保修多久？" in page_text
    assert "最多 299 字" in page_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in alice.page.content()

    response = alice.submit("form[action$='/claim']")
    assert response.status == 200 and "已认领" in alice.text()
    assert "处理中 · claimed" in alice.page.inner_text("h1")

    reply = "您好，绿线多为屏幕排线问题，在保修期内可免费检修。请带上手机到就近的云雀服务中心，我们已为您登记。"
    alice.page.fill("textarea[name=text]", reply)
    response = alice.submit("form[action$='/reply']")
    assert response.status == 200 and "回复已记录" in alice.text()
    assert reply in alice.page.inner_text("ol.conversation")
    assert "已回复 · answered" in alice.page.inner_text("h1")
    alice.page.screenshot(path=str(SCREENSHOTS / "ticket.png"), full_page=True)

    _deliver_outbox(world)
    sent = [c for c in world.standin.received(DM_REPLY) if c["form"]["receiver_id"] == "1000001"]
    assert len(sent) == 1 and sent[0]["json"] == {"text": reply}
    assert sent[0]["form"]["access_token"] == TOKEN
    with world.factory() as session:
        status = session.execute(select(outbox.c.status).where(outbox.c.receiver_id == "1000001")).scalar_one()
    assert status == "sent"

    alice.page.fill("form[action$='/close'] input[name=note]", "已引导到服务中心")
    response = alice.submit("form[action$='/close']")
    assert response.status == 200 and "已关闭 · closed" in alice.page.inner_text("h1")
    assert "已引导到服务中心" in alice.page.inner_text("table.events")
    assert alice.page.locator("form[action$='/reply']").count() == 0


def test_reply_too_long_for_a_comment_is_shown_on_the_page(sign_in, world):
    alice = sign_in("alice")
    alice.goto(f"/tickets/{world.comment_ticket}")
    assert "最多 140 字" in alice.text()
    draft = "感谢关注！" * 30  # 150 characters
    alice.page.fill("textarea[name=text]", draft)
    response = alice.submit("form[action$='/reply']")
    assert response.status == 400
    assert "reply too long for a comment: 150 characters, at most 140" in alice.page.inner_text("p.error")
    assert alice.page.input_value("textarea[name=text]") == draft  # nothing the operator typed is lost
    assert "等待中 · waiting" in alice.page.inner_text("h1")


def test_a_public_reply_with_a_phone_number_is_refused_with_the_reason_and_kept(sign_in, world):
    alice = sign_in("alice")
    alice.goto(f"/tickets/{world.comment_ticket}")
    draft = "您好，已安排专人联系您，电话 13912345678"
    alice.page.fill("textarea[name=text]", draft)
    response = alice.submit("form[action$='/reply']")
    assert response.status == 400 and "含手机号" in alice.page.inner_text("p.error")
    assert alice.page.input_value("textarea[name=text]") == draft


def test_a_canned_reply_fills_the_reply_box_for_this_ticket(sign_in, world):
    ticket = _ticket(world, "after_sales", "我的 Watch S2 寄修寄过去了", intent="repair")
    alice = sign_in("alice")
    alice.goto(f"/tickets/{ticket}")
    alice.page.select_option("select[name=canned]", "repair-received")
    with alice.page.expect_navigation():
        alice.page.click("form.canned button[type=submit]")
    assert alice.page.input_value("textarea[name=text]").startswith("您好，您寄来的Watch S2已经收到")
    response = alice.submit("form[action$='/reply']")
    assert response.status == 200 and "回复已记录" in alice.text()


def test_handing_a_ticket_back_to_the_bot_keeps_it_open_and_says_so(sign_in, world):
    ticket = _ticket(world, "after_sales", "谢谢，问题解决了，之后还有问题再问", intent="thanks")
    alice = sign_in("alice")
    alice.goto(f"/tickets/{ticket}")
    response = alice.submit("form[action$='/handback']")
    assert response.status == 200 and "已交还机器人" in alice.text()
    assert "交还机器人：机器人回答粉丝的新消息" in alice.page.inner_text("section.facts")
    assert alice.page.locator("form[action$='/handback']").count() == 0 and "等待中" in alice.page.inner_text("h1")
    carol = sign_in("carol")
    other = _ticket(world, "pr", "你们客服态度太差了")
    assert carol.page.request.post(f"{world.base}/tickets/{other}/handback", form={
        "csrf": carol.page.locator("input[name=csrf]").first.get_attribute("value")}).status == 403


def test_a_second_operator_cannot_claim_a_claimed_ticket(sign_in, world):
    ticket = _ticket(world, "marketing", "中奖一个月了奖品还没收到", intent="prize_problem", confidence=0.7)
    alice, bob = sign_in("alice"), sign_in("bob")
    alice.goto(f"/tickets/{ticket}")
    bob.goto(f"/tickets/{ticket}")  # both see a waiting ticket
    assert alice.submit("form[action$='/claim']").status == 200
    response = bob.submit("form[action$='/claim']")
    assert response.status == 400
    assert f"ticket {ticket} is already claimed by alice" in bob.page.inner_text("p.error")
    assert "处理中 · claimed" in bob.page.inner_text("h1")
    assert bob.page.locator("form[action$='/reply']").count() == 0  # bob is told alice has it
    assert "由 alice 处理中" in bob.text()


def test_a_member_sees_only_her_department(sign_in, world):
    own = _ticket(world, "after_sales", "耳机左边没声音了", intent="device_fault")
    carol = sign_in("carol")
    rows = carol.queue_rows()
    assert own in rows and world.pr_ticket not in rows and world.rnd_ticket not in rows
    assert rows and all("after_sales" in cells[1] for cells in rows.values())
    assert carol.page.locator("select[name=department] option").all_inner_texts() == ["全部可见部门",
                                                                                    "售后服务（after_sales）"]
    response = carol.goto(f"/tickets/{world.pr_ticket}")
    assert response.status == 403
    assert f"ticket {world.pr_ticket} belongs to pr, not your department" in carol.text()
    assert "黑猫投诉" not in carol.text()
    response = carol.goto("/?department=pr")
    assert response.status == 403 and "黑猫投诉" not in carol.text()
    response = carol.goto("/?department=pr&status=all")
    assert response.status == 403

    # A ticket she hands to another department leaves her queue.
    ticket = _ticket(world, "after_sales", "想给 X5 提个建议：出个小尺寸版本吧", intent="product_suggestion")
    carol.goto(f"/tickets/{ticket}")
    carol.page.select_option("form[action$='/reassign'] select", "product")
    response = carol.submit("form[action$='/reassign']")
    assert response.status == 200 and carol.page.url.startswith(world.base + "/?")
    assert "工单已转派" in carol.text() and ticket not in carol.queue_rows()


def test_script_in_fan_text_is_shown_as_text(sign_in, world):
    ticket = _ticket(world, "after_sales", f"{SCRIPT}<img src=x onerror=alert(2)> 保修卡丢了还能保修吗",
                     faq_candidates=[{"id": "x", "score": 0.1, "question": SCRIPT}])
    carol = sign_in("carol")
    for path in ("/", f"/tickets/{ticket}", f"/tickets/{world.script_ticket}", "/?status=all"):
        carol.goto(path)
        assert SCRIPT in carol.text()
        assert carol.page.locator("main img").count() == 0
        assert carol.page.locator("main script").count() == 0
    carol.page.wait_for_timeout(300)
    assert carol.dialogs == []


def test_posts_need_the_session_csrf_token(sign_in, world):
    ticket = _ticket(world, "after_sales", "手机充不进电了")
    alice = sign_in("alice")
    alice.goto(f"/tickets/{ticket}")
    url = f"{world.base}/tickets/{ticket}/claim"
    assert alice.page.request.post(url, form={}, max_redirects=0).status == 403
    forged = alice.page.request.post(url, form={"csrf": "forged"}, max_redirects=0)
    assert forged.status == 403 and "CSRF" in forged.text()
    with world.factory() as session:
        assert queue.get(session, ticket)["status"] == "waiting"
    token = alice.page.input_value("form[action$='/claim'] input[name=csrf]")
    ok = alice.page.request.post(url, form={"csrf": token}, max_redirects=0)
    assert ok.status == 303 and ok.headers["location"] == f"/tickets/{ticket}?ok=claimed"
    # Without a session nothing happens either: the request is sent to the login page.
    anonymous = requests.post(url, data={"csrf": token}, allow_redirects=False, timeout=10)
    assert anonymous.status_code == 303 and anonymous.headers["Location"] == "/login"


def test_suggest_an_faq_entry_and_merge_it(sign_in, world):
    ticket = _ticket(world, "after_sales", "碎屏险能在买手机一个月后再买吗？")
    carol = sign_in("carol")
    carol.goto(f"/tickets/{ticket}")
    carol.page.fill("form[action$='/suggest'] input[name=question]", "买手机一个月后还能买碎屏险吗？")
    carol.page.fill("form[action$='/suggest'] textarea[name=answer]", "云雀 Care+ 需在购机后 30 天内购买。")
    assert carol.submit("form[action$='/suggest']").status == 200
    assert "FAQ 建议已提交" in carol.text()
    carol.page.click("a[href='/suggestions']")
    assert "买手机一个月后还能买碎屏险吗？" in carol.text()
    with world.factory() as session:
        suggestion = session.execute(select(faq_suggestions.c.id).where(
            faq_suggestions.c.ticket_id == ticket)).scalar_one()
    response = carol.submit(f"form[action='/suggestions/{suggestion}/merge']")
    assert response.status == 200 and "已合并" in carol.text()
    assert "买手机一个月后还能买碎屏险吗？" in (world.faq_dir / "after_sales.yml").read_text(encoding="utf-8")
    assert "买手机一个月后还能买碎屏险吗？" not in carol.text()

    other = faq_suggest.suggest(world.factory, operators.get(world.factory, "alice"), ticket, "碎屏险多少钱？", "看机型。")
    carol.goto("/suggestions")
    assert "碎屏险多少钱？" in carol.text()
    response = carol.submit(f"form[action='/suggestions/{other}/reject']")
    assert response.status == 200 and "建议已驳回" in carol.text() and "碎屏险多少钱？" not in carol.text()
    # A stale form (merging twice) gets the backend's message, not a crash.
    token = carol.page.input_value("form[action='/logout'] input[name=csrf]")
    again = carol.page.request.post(f"{world.base}/suggestions/{suggestion}/merge", form={"csrf": token})
    assert again.status == 400 and f"suggestion {suggestion} is already merged" in again.text()


def test_logout_ends_the_session(sign_in, world):
    bob = sign_in("bob")
    token = next(c["value"] for c in bob.context.cookies() if c["name"] == "bot_session")
    response = bob.submit("form[action='/logout']")
    assert response.status == 200 and bob.page.url == world.base + "/login"
    assert not [c for c in bob.context.cookies() if c["name"] == "bot_session" and c["value"]]
    bob.goto("/")
    assert bob.page.url == world.base + "/login"
    # The old cookie is dead on the server too, not only forgotten by the browser.
    again = requests.get(world.base + "/", cookies={"bot_session": token}, allow_redirects=False, timeout=10)
    assert again.status_code == 303 and again.headers["Location"] == "/login"


def test_the_bots_draft_for_the_covered_questions_fills_the_reply_box(sign_in, world):
    draft = "云雀 X5 商城价：8GB+256GB 3499 元。"
    ticket = _ticket(world, "product", "X5多少钱?另外你们考虑出笔记本吗", intent="ask_price", confidence=0.47,
                     reason="outside_entry_scope", draft_reply=draft)
    alice = sign_in("alice")
    alice.goto(f"/tickets/{ticket}")
    response = alice.submit("form[action$='/claim']")
    assert response.status == 200
    assert alice.page.input_value("textarea[name=text]") == draft
    assert "机器人为手册能回答的部分拟好的答复" in alice.text()
    queue.close(world.factory, ticket, "alice", "test done")


def test_the_queue_shows_time_left_sorts_by_it_and_marks_breaches(sign_in, world):
    late = _ticket(world, "pr", "超时测试：客服一直不回我")
    _backdate(world, late, 90)  # pr answers within an hour
    fresh = _ticket(world, "after_sales", "超时测试：刚刚问的")
    alice = sign_in("alice")
    alice.goto("/?q=超时测试&order=due")
    assert list(alice.queue_rows()) == [late, fresh]
    cell = alice.page.locator(f"tr:has(a[href='/tickets/{late}']) td.sla")
    assert "late" in cell.get_attribute("class") and "超时 30 分钟" in cell.inner_text()
    assert "私信窗口剩" in cell.inner_text()
    fresh_cell = alice.page.locator(f"tr:has(a[href='/tickets/{fresh}']) td.sla")
    assert "late" not in fresh_cell.get_attribute("class") and "剩 3 小时" in fresh_cell.inner_text()
    assert alice.goto("/?order=sideways").status == 400


def test_the_ticket_shows_the_fans_history_notes_and_a_spammer_mark_that_can_be_lifted(sign_in, world):
    first = _ticket(world, "after_sales", "档案测试：屏幕碎了", fan_id="3300001")
    queue.close(world.factory, first, "alice", "已处理")
    second = _ticket(world, "after_sales", "档案测试：又来问了", fan_id="3300001")
    alice = sign_in("alice")
    alice.goto(f"/tickets/{second}")
    card = alice.page.locator("section.fan")
    assert "3300001" in card.inner_text() and f"#{first}" in card.inner_text()
    alice.page.fill("input[name=fan_note]", "老用户，说话直")
    response = alice.submit("form[action$='/fan-note']")
    assert response.status == 200 and "老用户，说话直" in alice.page.inner_text("section.fan")
    alice.submit("form[action$='/spammer']")
    assert "垃圾用户" in alice.page.inner_text("section.fan h2") and "撤销" in alice.text()
    with world.factory() as session:
        assert fans_store.is_spammer(session, "3300001")
    alice.submit("form[action$='/not-spammer']")
    with world.factory() as session:
        assert not fans_store.is_spammer(session, "3300001")


@pytest.mark.parametrize("action, form", [("reply", {"text": "您好"}), ("close", {}), ("dismiss", {}),
                                          ("reassign", {"department": "after_sales"}), ("claim", {}),
                                          ("handback", {}), ("fan-note", {"fan_note": "x"}), ("spammer", {}),
                                          ("suggest", {"question": "q", "answer": "a"})])
def test_a_member_is_refused_every_action_on_another_departments_ticket(sign_in, world, action, form):
    ticket = _ticket(world, "marketing", "中奖了怎么领")
    carol = sign_in("carol")
    csrf = carol.page.locator("input[name=csrf]").first.get_attribute("value")
    response = carol.page.request.post(f"{world.base}/tickets/{ticket}/{action}", form={"csrf": csrf, **form})
    assert response.status == 403 and "not your department" in response.text()
    with world.factory() as session:
        assert queue.get(session, ticket)["status"] == "waiting" and len(queue.events(session, ticket)) == 1


def test_keyboard_shortcuts_claim_reply_and_go_to_the_next_ticket(sign_in, world):
    _ticket(world, "orders_logistics", "快捷键测试：快递到哪了", priority=2)
    alice = sign_in("alice")
    ticket = handoff.list_tickets(world.factory, operators.get(world.factory, "alice"), None, ("waiting",)).rows[0]["id"]
    alice.goto("/")
    alice.page.keyboard.press("/")
    assert alice.page.evaluate("document.activeElement.name") == "q"
    alice.page.locator("body").click(position={"x": 5, "y": 5})
    with alice.page.expect_navigation():
        alice.page.keyboard.press("n")
    assert alice.page.url.endswith(f"/tickets/{ticket}")  # the most urgent waiting ticket
    with alice.page.expect_navigation():
        alice.page.keyboard.press("c")
    assert "已认领" in alice.text()
    alice.page.keyboard.press("r")
    assert alice.page.evaluate("document.activeElement.name") == "text"
    alice.page.keyboard.type("n")  # typing in the reply box is text, not a shortcut
    assert alice.page.url.endswith(f"/tickets/{ticket}?ok=claimed")
    with alice.page.expect_navigation():
        alice.page.locator("body").click(position={"x": 5, "y": 5})
        alice.page.keyboard.press("n")
    assert f"/tickets/{ticket}" not in alice.page.url


def test_a_member_edits_his_departments_faq_in_the_console_and_is_refused_others(sign_in, world):
    carol = sign_in("carol")
    carol.goto("/faq?q=没有发票")
    assert "warranty-without-invoice" in carol.page.inner_text("table.faq-list")
    carol.goto("/faq/warranty-without-invoice")
    carol.page.fill("textarea[name=comment]", "好" * 141)
    response = carol.submit("form.faq-edit")
    assert response.status == 400 and "at most 140" in carol.page.inner_text("p.error")
    assert carol.page.input_value("textarea[name=comment]") == "好" * 141  # what she typed is kept
    comment = "没有发票的，按出厂日期加 3 个月算保修期；电子发票也能作保修凭证。"
    carol.page.fill("textarea[name=comment]", comment)
    carol.page.fill("textarea[name=alternates]", carol.page.input_value("textarea[name=alternates]") + "\n发票找不着了咋保修")
    response = carol.submit("form.faq-edit")
    assert response.status == 200 and "已保存" in carol.text()
    text = (world.faq_dir / "after_sales.yml").read_text(encoding="utf-8")
    assert comment in text and "发票找不着了咋保修" in text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    carol.page.screenshot(path=str(SCREENSHOTS / "faq-edit.png"), full_page=False)
    assert carol.goto("/faq/price-x5").status == 403
    other = (world.faq_dir / "pre_sales.yml").read_text(encoding="utf-8")
    csrf = carol.page.locator("input[name=csrf]").first.get_attribute("value")
    refused = carol.page.request.post(f"{world.base}/faq/price-x5", form={
        "csrf": csrf, "question": "X5 多少钱？", "alternates": "", "answer": "免费", "comment": "免费"})
    assert refused.status == 403 and (world.faq_dir / "pre_sales.yml").read_text(encoding="utf-8") == other


def test_a_member_takes_tickets_in_turn_from_the_header_and_stops(sign_in, world):
    carol = sign_in("carol")
    assert "暂停接单" in carol.page.inner_text("#availability")
    carol.submit("form[action='/availability']")
    assert "已开始接单" in carol.text() and "接单中" in carol.page.inner_text("#availability")
    ticket = _ticket(world, "after_sales", "分配测试：耳机没声音了")
    with world.factory() as session:
        assert (queue.get(session, ticket)["status"], queue.get(session, ticket)["assignee"]) == ("claimed", "carol")
    carol.submit("form[action='/availability']")
    assert "已暂停接单" in carol.text()
    later = _ticket(world, "after_sales", "分配测试：又一个")
    with world.factory() as session:
        assert queue.get(session, later)["assignee"] is None
