"""The console's report page in a real browser: the figures of `bot report`, and an unanswered
question going from a cluster to a merged FAQ wording that the next triage answers.

The database is filled by the demo's Seeder from a hand-made plan, so every message went through
the real triage path: two fans asked where their parcel is in words no FAQ entry knew.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.demo import Planned, Seeder, make_fans
from bot.faq.library import FaqLibrary
from bot.reports.make import make_report, period
from bot.reports.render import as_json, cell
from bot.store.tables import faq_suggestions
from bot.triage import Inbound, Triage
from tests.browser import CHROMIUM, console_world
from tests.test_console_browser import SCREENSHOTS

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")

PARCEL = ("东西寄到哪一步了", "想看看货到哪儿了")  # track-order knows neither wording (yet)


def _triage(parser, library, now):
    return Triage(parser.parse_batch, lambda: library.index, clock=lambda: now)


@pytest.fixture(scope="module")
def world(tmp_path_factory, nlu_parser):
    people = (("alice", "operator", ()), ("olga", "member", ("orders_logistics",)), ("carol", "member", ("after_sales",)))
    with console_world(tmp_path_factory.mktemp("reports"), people) as world:
        world.library = FaqLibrary(world.faq_dir, check_interval=0)
        world.parser = nlu_parser
        now = datetime.now(timezone.utc) - timedelta(minutes=5)
        fans = make_fans(random.Random(3), 6)
        texts = [PARCEL[0], PARCEL[1], PARCEL[0], "保修多久？", "新机太好看了", "X5屏幕碎了，已经第三次了，必须给个说法"]
        plan = [Planned(now - timedelta(hours=30 - 4 * i), "dm" if i % 2 else "comment", text, fans[i])
                for i, text in enumerate(texts)]
        Seeder(world.factory, lambda clock: Triage(nlu_parser.parse_batch, lambda: world.library.index, clock=clock),
               nlu_parser.parse_batch, random.Random(3)).run(plan, now)
        yield world


def test_the_report_page_shows_the_figures_of_bot_report_with_its_charts(sign_in, world):
    alice = sign_in("alice")
    response = alice.goto("/reports")
    assert response.status == 200
    since, until = period(None, None)
    expected = make_report(world.factory, world.library.index, since, until)
    for title, value, kind in expected.headline:
        assert alice.page.inner_text(f"[data-figure='{title}']") == cell(value, kind)
    for name in ("volume", "outcomes", "complaints", "faq_hits"):
        alice.page.wait_for_selector(f"[data-chart='{name}'][data-drawn='1'] canvas")
    volume = alice.page.locator("table[data-table='volume'] tbody tr").all_inner_texts()
    assert sum(int(row.split("\t")[3]) for row in volume) == as_json(expected)["headline"]["消息总数"] == 6
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    alice.page.screenshot(path=str(SCREENSHOTS / "report.png"), full_page=False)


def test_an_unanswered_cluster_becomes_a_merged_wording_and_the_next_triage_answers_it(sign_in, world):
    now = datetime.now(timezone.utc)
    before = _triage(world.parser, world.library, now).run([Inbound("q", "dm", PARCEL[0])])[0].outcome
    assert before.action == "handoff" and before.reason in ("not_in_manuals", "low_confidence")

    olga = sign_in("olga")
    olga.goto("/reports")
    cluster = olga.page.locator("article.cluster", has_text=PARCEL[0])
    assert cluster.count() == 1 and "订单物流" in cluster.inner_text()
    cluster.locator("select[name=faq_id]").select_option("track-order")
    with olga.page.expect_navigation() as nav:
        cluster.locator("button[type=submit]").click()
    assert nav.value.status == 200 and olga.page.url.endswith("/suggestions?ok=alternates")
    card = olga.page.locator("section.suggestion", has_text="track-order")
    assert PARCEL[0] in card.inner_text()
    with olga.page.expect_navigation() as nav:
        card.locator("form[action$='/merge'] button[type=submit]").click()
    assert nav.value.status == 200 and "已合并" in olga.text()

    assert PARCEL[0] in (world.faq_dir / "orders_logistics.yml").read_text(encoding="utf-8")
    world.library.refresh()
    after = _triage(world.parser, world.library, now).run([Inbound("q", "dm", PARCEL[0])])[0].outcome
    assert (after.action, after.faq_id) == ("answer", "track-order")


def test_a_member_sees_only_his_departments_and_cannot_suggest_for_another(sign_in, world):
    carol = sign_in("carol")
    carol.goto("/reports")
    assert "售后服务（after_sales）" in carol.page.inner_text("p.period")
    assert carol.page.locator("article.cluster form").count() == 0  # no after_sales cluster to work on
    assert carol.goto("/reports?department=pr").status == 403
    csrf = carol.page.locator("input[name=csrf]").first.get_attribute("value")
    with world.factory() as session:
        before = session.execute(select(faq_suggestions)).all()
    response = carol.page.request.post(world.base + "/reports/clusters", form={
        "csrf": csrf, "department": "orders_logistics", "faq_id": "track-order", "question": PARCEL[1]})
    assert response.status == 403 and "not your department" in response.text()
    with world.factory() as session:
        assert session.execute(select(faq_suggestions)).all() == before


def test_the_report_downloads_as_csv_and_as_a_self_contained_page(sign_in, world):
    alice = sign_in("alice")
    csv_response = alice.page.request.get(world.base + "/reports/export/csv")
    assert csv_response.status == 200 and "volume," in csv_response.text()
    page = alice.page.request.get(world.base + "/reports/export/html")
    assert page.status == 200 and "<script src=" not in page.text() and "echarts" in page.text()
    assert alice.page.request.get(world.base + "/reports/export/pdf").status == 404


def test_the_html_file_draws_its_charts_offline(browser, world, tmp_path):
    from bot.reports.render import html

    since, until = period(None, None)
    path = tmp_path / "report.html"
    path.write_text(html(make_report(world.factory, world.library.index, since, until)), encoding="utf-8")
    context = browser.new_context(offline=True)
    try:
        page = context.new_page()
        failed = []
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(path.as_uri())
        for name in ("volume", "outcomes", "complaints", "follower_bands", "handoff_reasons", "faq_hits"):
            page.wait_for_selector(f"[data-chart='{name}'][data-drawn='1'] canvas")
        assert page.inner_text("[data-figure='消息总数']") == "6" and failed == []
    finally:
        context.close()


def test_a_cluster_becomes_a_new_entry_draft_and_a_missing_answer_loses_nothing(sign_in, world):
    olga = sign_in("olga")
    olga.goto("/reports")
    cluster = olga.page.locator("article.cluster", has_text=PARCEL[0])
    cluster.locator("select[name=faq_id]").select_option("")
    with olga.page.expect_navigation() as nav:
        cluster.locator("button[type=submit]").click()
    assert nav.value.status == 400 and "needs both a question and an answer" in olga.text()
    cluster = olga.page.locator("article.cluster", has_text=PARCEL[0])
    too_long = "物流" * 200
    cluster.locator("select[name=faq_id]").select_option("")
    cluster.locator("textarea[name=answer]").fill(too_long)
    with olga.page.expect_navigation() as nav:
        cluster.locator("button[type=submit]").click()
    assert nav.value.status == 400 and "answer too long" in olga.text()
    cluster = olga.page.locator("article.cluster", has_text=PARCEL[0])
    assert cluster.locator("textarea[name=answer]").input_value() == too_long  # what she typed is still there
    cluster.locator("select[name=faq_id]").select_option("")
    cluster.locator("textarea[name=answer]").fill("可在云雀商城“我的订单”中查看物流进度。")
    with olga.page.expect_navigation() as nav:
        cluster.locator("button[type=submit]").click()
    assert nav.value.status == 200 and olga.page.url.endswith("/suggestions?ok=suggested")
    with world.factory() as session:
        row = session.execute(select(faq_suggestions).where(faq_suggestions.c.kind == "entry")).mappings().one()
    assert (row["department"], row["author"], row["status"]) == ("orders_logistics", "olga", "proposed")
    assert row["question"] in PARCEL and "我的订单" in row["answer"]
