"""Operators suggest FAQ entries from tickets, and new wordings of an entry from the report's
unanswered questions; the owning department merges them into its file.

A merge edits the file as text (its comments and layout stay as staff wrote them) through
bot.faq.files: the whole FAQ directory is checked with the change before the file is replaced
atomically, so a merge can never leave a broken or half-written file for the live bot.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List

from sqlalchemy import insert, select, update

from bot.errors import FaqError, NotPermitted, QueueError
from bot.faq import files
from bot.faq.loader import entry_by_id
from bot.faq.model import COMMENT_LIMIT, DM_LIMIT
from bot.store import queue
from bot.store.operators import Operator
from bot.store.tables import faq_suggestions

Factory = "sessionmaker[Session]"


def suggest(factory: Factory, operator: Operator, ticket_id: int | None, question: str, answer: str,
            department: str | None = None) -> int:
    question, answer = question.strip(), answer.strip()
    if not question or not answer:
        raise QueueError("a suggestion needs both a question and an answer")
    if len(answer) >= DM_LIMIT:
        raise QueueError(f"answer too long: {len(answer)} characters, a private message must stay under {DM_LIMIT}")
    if ticket_id is not None:
        with factory() as session:
            department = department or queue.get(session, ticket_id)["department"]
    if not department or not operator.can_see(department):
        raise NotPermitted(f"you cannot suggest FAQ entries for department {department!r}: not your department")
    with factory.begin() as session:
        return session.execute(insert(faq_suggestions).values(
            ticket_id=ticket_id, department=department, question=question, answer=answer, author=operator.name,
            status="proposed", created_at=datetime.now(timezone.utc))).inserted_primary_key[0]


MAX_WORDINGS, MAX_WORDING_CHARS = 20, 200
ENTRY, ALTERNATES = "entry", "alternates"


def suggest_alternates(factory: Factory, operator: Operator, faq_dir: Path, faq_id: str,
                       wordings: List[str]) -> int:
    """New wordings (fans' own questions) for an existing entry, for its department to merge."""
    wordings = list(dict.fromkeys(" ".join(w.split()) for w in wordings if w.strip()))
    if not wordings:
        raise QueueError("choose at least one question to add as a wording of the entry")
    if len(wordings) > MAX_WORDINGS or any(len(w) > MAX_WORDING_CHARS for w in wordings):
        raise QueueError(f"at most {MAX_WORDINGS} wordings of at most {MAX_WORDING_CHARS} characters each")
    entry = entry_by_id(faq_dir, faq_id)
    if not operator.can_see(entry.department):
        raise NotPermitted(f"entry {faq_id} belongs to {entry.department}, not your department")
    with factory.begin() as session:
        return session.execute(insert(faq_suggestions).values(
            ticket_id=None, department=entry.department, question="\n".join(wordings), answer="", kind=ALTERNATES,
            target_faq_id=faq_id, author=operator.name, status="proposed",
            created_at=datetime.now(timezone.utc))).inserted_primary_key[0]


def pending(factory: Factory, operator: Operator) -> List[Dict[str, Any]]:
    with factory() as session:
        rows = session.execute(select(faq_suggestions).where(faq_suggestions.c.status == "proposed")
                               .order_by(faq_suggestions.c.id)).mappings().all()
    return [dict(r) for r in rows if operator.can_see(r["department"])]


def _entry_yaml(entry_id: str, question: str, answer: str, comment: str) -> str:
    # JSON strings are valid YAML double-quoted scalars: no quoting surprises from fan text.
    return (f"\n  - id: {entry_id}\n    question: {json.dumps(question, ensure_ascii=False)}\n"
            f"    answer: {json.dumps(answer, ensure_ascii=False)}\n"
            f"    comment: {json.dumps(comment, ensure_ascii=False)}\n")


def merge(factory: Factory, operator: Operator, suggestion_id: int, faq_dir: Path,
          comment: str | None = None) -> str:
    """Write the suggestion into its department's FAQ file; returns the entry it created or extended."""
    with factory() as session:
        row = session.execute(select(faq_suggestions).where(faq_suggestions.c.id == suggestion_id)).mappings().first()
    if row is None:
        raise QueueError(f"suggestion {suggestion_id} does not exist")
    if row["status"] != "proposed":
        raise QueueError(f"suggestion {suggestion_id} is already {row['status']}")
    if not operator.can_see(row["department"]):
        raise NotPermitted(f"suggestion {suggestion_id} belongs to {row['department']}, not your department")
    if row["kind"] == ALTERNATES:
        entry = entry_by_id(faq_dir, row["target_faq_id"])
        known = {entry.question, *entry.alternates}
        wordings = [w for w in row["question"].split("\n") if w and w not in known]
        name, entry_id = Path(entry.file).name, entry.id

        def change(text: str) -> str:
            return files.add_alternates(text, entry, wordings) if wordings else text
    else:
        comment = (comment or row["answer"]).strip()
        if len(comment) > COMMENT_LIMIT:
            raise QueueError(f"the answer has {len(comment)} characters: give a comment version of at most "
                             f"{COMMENT_LIMIT} with --comment")
        name, entry_id = f"{row['department']}.yml", f"suggested-{suggestion_id}"

        def change(text: str) -> str:
            return text.rstrip("\n") + "\n" + _entry_yaml(entry_id, row["question"], row["answer"], comment)
    try:
        files.edit(Path(faq_dir), name, change)
    except FaqError as exc:
        raise QueueError(str(exc)) from exc
    with factory.begin() as session:
        session.execute(update(faq_suggestions).where(faq_suggestions.c.id == suggestion_id).values(
            status="merged", faq_id=entry_id, decided_at=datetime.now(timezone.utc)))
    return entry_id


def reject(factory: Factory, operator: Operator, suggestion_id: int) -> None:
    with factory() as session:
        row = session.execute(select(faq_suggestions).where(faq_suggestions.c.id == suggestion_id)).mappings().first()
    if row is None or row["status"] != "proposed":
        raise QueueError(f"suggestion {suggestion_id} is not waiting for a decision")
    if not operator.can_see(row["department"]):
        raise NotPermitted(f"suggestion {suggestion_id} belongs to {row['department']}, not your department")
    with factory.begin() as session:
        session.execute(update(faq_suggestions).where(faq_suggestions.c.id == suggestion_id).values(
            status="rejected", decided_at=datetime.now(timezone.utc)))
