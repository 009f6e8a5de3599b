"""Department staff who do not edit files keep their FAQ in the console: list, search, edit.

The YAML file stays the source of truth: a save changes the entry's question, alternates, answer and
comment in the file (bot.faq.files: checked with the whole directory first, written atomically
under the lock), and the live bot's hot reload picks it up. Other fields (scope, dates, keywords)
are edited in the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Sequence

from bot.errors import FaqError, NotPermitted, QueueError
from bot.faq import files
from bot.faq.loader import entry_by_id, load_faq
from bot.faq.model import COMMENT_LIMIT, DM_LIMIT, FaqEntry
from bot.store.operators import Operator


def entries(faq_dir: Path, operator: Operator, search: str = "", department: str = "") -> List[FaqEntry]:
    """The entries of the operator's departments, those mentioning `search` (question, wordings, answers)."""
    if department and not operator.can_see(department):
        raise NotPermitted(f"department {department!r} is not your department")
    found, _problems = load_faq([Path(faq_dir)])
    words = search.strip().lower()
    return sorted((e for e in found if operator.can_see(e.department) and (not department or e.department == department)
                   and (not words or words in " ".join((e.id, e.question, *e.alternates, e.answer, e.comment)).lower())),
                  key=lambda e: (e.department, e.id))


def entry(faq_dir: Path, operator: Operator, entry_id: str) -> FaqEntry:
    found = entry_by_id(faq_dir, entry_id)
    if not operator.can_see(found.department):
        raise NotPermitted(f"FAQ entry {entry_id} belongs to {found.department}, not your department")
    return found


def update(faq_dir: Path, operator: Operator, entry_id: str, question: str, alternates: Sequence[str],
           answer: str, comment: str) -> FaqEntry:
    """Save the edited fields; QueueError (nothing written) when the FAQ check would fail."""
    current = entry(faq_dir, operator, entry_id)
    question, answer, comment = question.strip(), answer.strip(), comment.strip()
    if not (question and answer and comment):
        raise QueueError("question, answer and comment are all needed: the answer is the private message, "
                         f"the comment the public reply (at most {COMMENT_LIMIT} characters)")
    if len(answer) >= DM_LIMIT or len(comment) > COMMENT_LIMIT:
        raise QueueError(f"the answer must stay under {DM_LIMIT} characters ({len(answer)}) and the comment "
                         f"at most {COMMENT_LIMIT} ({len(comment)})")
    wordings = list(dict.fromkeys(" ".join(w.split()) for w in alternates if w.strip()))
    values = {"question": question, "alternates": wordings, "answer": answer, "comment": comment}
    try:
        files.edit(Path(faq_dir), Path(current.file).name, lambda text: files.replace_fields(text, current, values))
    except FaqError as exc:
        raise QueueError(str(exc)) from exc
    return entry(faq_dir, operator, entry_id)
