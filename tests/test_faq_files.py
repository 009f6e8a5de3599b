"""FAQ edits made by the product: new wordings land in the right entry, the file stays as staff wrote
it, and a change that would break the FAQ writes nothing."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.errors import FaqError, NotPermitted, QueueError
from bot.faq import files, suggest
from bot.faq.loader import load_faq
from bot.store import operators

FILE = textwrap.dedent("""\
    # 售后 FAQ（注释要留着）
    department: after_sales
    entries:
      - id: first
        question: 保修多久？
        alternates:
          - 手机保修几年   # 员工的注释
          - 电池保几年
        answer: 整机保修一年。
        comment: 整机保修一年。
      - id: second
        question: 怎么寄修？
        answer: 在官网预约寄修。
        comment: 在官网预约寄修。
    """)


@pytest.fixture
def faq_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "faq"
    directory.mkdir()
    (directory / "after_sales.yml").write_text(FILE, encoding="utf-8")
    return directory


def _entries(directory: Path):
    entries, problems = load_faq([directory])
    assert not problems
    return {e.id: e for e in entries}


@pytest.mark.parametrize("entry_id, before", [("first", ("手机保修几年", "电池保几年")), ("second", ())])
def test_new_wordings_join_the_entry_and_the_rest_of_the_file_is_untouched(faq_dir, entry_id, before):
    entry = _entries(faq_dir)[entry_id]
    files.edit(faq_dir, "after_sales.yml", lambda text: files.add_alternates(text, entry, ["保修到底几年", '带"引号"的问法']))
    after = _entries(faq_dir)
    assert after[entry_id].alternates == (*before, "保修到底几年", '带"引号"的问法')
    other = "second" if entry_id == "first" else "first"
    assert after[other].alternates == _entries_of(FILE)[other].alternates
    text = (faq_dir / "after_sales.yml").read_text(encoding="utf-8")
    assert "# 售后 FAQ（注释要留着）" in text and "# 员工的注释" in text


def _entries_of(text: str):
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "after_sales.yml").write_text(text, encoding="utf-8")
        return _entries(Path(scratch))


def test_a_change_that_breaks_the_faq_writes_nothing_and_says_where(faq_dir):
    with pytest.raises(FaqError) as caught:
        files.edit(faq_dir, "after_sales.yml", lambda text: text.replace("answer: 在官网预约寄修。", "answer:"))
    assert "nothing was written" in str(caught.value) and "after_sales.yml" in str(caught.value)
    assert (faq_dir / "after_sales.yml").read_text(encoding="utf-8") == FILE
    assert not [p for p in faq_dir.iterdir() if p.name.endswith(".tmp")]


def test_alternates_written_on_one_line_are_left_for_a_person(faq_dir):
    path = faq_dir / "after_sales.yml"
    path.write_text(FILE.replace("    question: 怎么寄修？\n", "    question: 怎么寄修？\n    alternates: [寄修流程]\n"),
                    encoding="utf-8")
    entry = _entries(faq_dir)["second"]
    with pytest.raises(FaqError, match="one line"):
        files.add_alternates(path.read_text(encoding="utf-8"), entry, ["怎么寄过去修"])


def test_a_moved_entry_is_not_edited_blindly(faq_dir):
    entry = _entries(faq_dir)["second"]
    with pytest.raises(FaqError, match="no longer at"):
        files.add_alternates("department: after_sales\nentries:\n", entry, ["怎么寄过去修"])


def test_suggested_wordings_are_merged_by_the_department_into_the_live_file(factory, faq_dir):
    carol = operators.add(factory, "carol", "correct-horse-1", ["after_sales"])
    dave = operators.add(factory, "dave", "correct-horse-1", ["rnd"])
    with pytest.raises(NotPermitted):
        suggest.suggest_alternates(factory, dave, faq_dir, "second", ["怎么寄过去修"])
    with pytest.raises(QueueError, match="no FAQ entry"):
        suggest.suggest_alternates(factory, carol, faq_dir, "nope", ["怎么寄过去修"])
    sid = suggest.suggest_alternates(factory, carol, faq_dir, "second", ["怎么寄过去修", "怎么寄修？", " "])
    with pytest.raises(NotPermitted):
        suggest.merge(factory, dave, sid, faq_dir)
    assert suggest.merge(factory, carol, sid, faq_dir) == "second"
    assert _entries(faq_dir)["second"].alternates == ("怎么寄过去修",)  # the entry's own question is not repeated
    with pytest.raises(QueueError, match="already merged"):
        suggest.merge(factory, carol, sid, faq_dir)
