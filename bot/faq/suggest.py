"""Operators suggest FAQ entries from tickets; the owning department merges them into its file.

A merge appends the entry as text (the file's comments and layout stay as staff wrote them),
checks the whole FAQ directory, and restores the file if the check fails, so a merge can never
leave a broken file for the live bot to reject.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List

from sqlalchemy import insert, select, update

from bot.errors import QueueError
from bot.faq.loader import load_faq
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
        raise QueueError(f"you cannot suggest FAQ entries for department {department!r}")
    with factory.begin() as session:
        return session.execute(insert(faq_suggestions).values(
            ticket_id=ticket_id, department=department, question=question, answer=answer, author=operator.name,
            status="proposed", created_at=datetime.now(timezone.utc))).inserted_primary_key[0]


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
    """Append the suggestion to its department's FAQ file; returns the new entry id."""
    with factory() as session:
        row = session.execute(select(faq_suggestions).where(faq_suggestions.c.id == suggestion_id)).mappings().first()
    if row is None:
        raise QueueError(f"suggestion {suggestion_id} does not exist")
    if row["status"] != "proposed":
        raise QueueError(f"suggestion {suggestion_id} is already {row['status']}")
    if not operator.can_see(row["department"]):
        raise QueueError(f"suggestion {suggestion_id} belongs to {row['department']}, not your department")
    comment = (comment or row["answer"]).strip()
    if len(comment) > COMMENT_LIMIT:
        raise QueueError(f"the answer has {len(comment)} characters: give a comment version of at most "
                         f"{COMMENT_LIMIT} with --comment")
    path = Path(faq_dir) / f"{row['department']}.yml"
    original = path.read_text(encoding="utf-8")
    entry_id = f"suggested-{suggestion_id}"
    path.write_text(original.rstrip("\n") + "\n" + _entry_yaml(entry_id, row["question"], row["answer"], comment),
                    encoding="utf-8")
    _, problems = load_faq([Path(faq_dir)])
    if problems:
        path.write_text(original, encoding="utf-8")
        raise QueueError("merging would break the FAQ, nothing changed:\n" + "\n".join(str(p) for p in problems))
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
        raise QueueError(f"suggestion {suggestion_id} belongs to {row['department']}, not your department")
    with factory.begin() as session:
        session.execute(update(faq_suggestions).where(faq_suggestions.c.id == suggestion_id).values(
            status="rejected", decided_at=datetime.now(timezone.utc)))
