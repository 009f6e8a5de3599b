"""Department staff keep their FAQ in the console: their entries only, saved through the FAQ check
into the file, which the live library then serves."""

from __future__ import annotations

import pytest

from bot.errors import NotPermitted, QueueError
from bot.faq import staff
from bot.faq.library import FaqLibrary
from bot.store.operators import Operator

CAROL = Operator("carol", "member", ("after_sales",))
ALICE = Operator("alice", "operator", ())


def test_a_member_lists_and_searches_only_his_departments_entries(faq_copy):
    mine = staff.entries(faq_copy, CAROL)
    assert mine and {e.department for e in mine} == {"after_sales"}
    assert [e.id for e in staff.entries(faq_copy, CAROL, "没有发票")] == ["warranty-without-invoice"]
    assert {e.department for e in staff.entries(faq_copy, ALICE)} > {"after_sales", "pre_sales"}
    with pytest.raises(NotPermitted):
        staff.entries(faq_copy, CAROL, department="pr")
    with pytest.raises(NotPermitted):
        staff.entry(faq_copy, CAROL, "price-x5")


def test_a_save_reaches_the_file_and_the_live_library(faq_copy):
    library = FaqLibrary(faq_copy, check_interval=0)
    before = staff.entry(faq_copy, CAROL, "warranty-without-invoice")
    comment = "没有发票的，按出厂日期加 3 个月计算保修期；电子发票也可以作保修凭证。"
    saved = staff.update(faq_copy, CAROL, "warranty-without-invoice", before.question,
                         [*before.alternates, "发票找不着了能保修吗"], before.answer, comment)
    assert saved.comment == comment and saved.alternates[-1] == "发票找不着了能保修吗"
    assert "# " in (faq_copy / "after_sales.yml").read_text(encoding="utf-8").splitlines()[0]  # the header comment stays
    library.refresh()
    assert library.index.by_id["warranty-without-invoice"].comment == comment


@pytest.mark.parametrize("change, message", [
    ({"comment": "好" * 141}, "at most 140"),
    ({"answer": ""}, "all needed"),
    ({"question": "保修多久？"}, "nothing was written"),  # another entry's question: the check refuses it
])
def test_a_save_the_check_refuses_writes_nothing(faq_copy, change, message):
    before = (faq_copy / "after_sales.yml").read_text(encoding="utf-8")
    e = staff.entry(faq_copy, CAROL, "warranty-without-invoice")
    fields = {"question": e.question, "alternates": list(e.alternates), "answer": e.answer, "comment": e.comment,
              **change}
    with pytest.raises(QueueError, match=message):
        staff.update(faq_copy, CAROL, "warranty-without-invoice", **fields)
    assert (faq_copy / "after_sales.yml").read_text(encoding="utf-8") == before
