"""Changing a live FAQ file safely: checked before it is written, written whole, one writer at a time.

The action servers reload a FAQ file as soon as its mtime or size changes, so a file written in
place can be read half-written, and two merges at once can lose one another's entry. Every change
made by the product (a merged suggestion, new alternates) therefore goes through `edit`: under an
exclusive lock on the FAQ directory it reads the file, computes the new text, checks the whole
directory with the new text in a temporary copy, and only then replaces the file by a rename
(readers see the old file or the new one, never a mix).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Sequence, Tuple

from bot.errors import FaqError
from bot.faq.loader import load_faq
from bot.faq.model import FaqEntry

LOCK_FILE = ".faq-edit.lock"


@contextmanager
def locked(faq_dir: Path) -> Iterator[None]:
    with open(Path(faq_dir) / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, flush it to disk, rename it over `path`."""
    fd, temp = tempfile.mkstemp(dir=str(path.parent), prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            shutil.copymode(path, temp)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def problems_with(faq_dir: Path, name: str, text: str) -> List[str]:
    """What `bot faq check` would say of the directory if file `name` held `text`."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "faq"
        shutil.copytree(faq_dir, copy, ignore=shutil.ignore_patterns(LOCK_FILE, ".*.tmp"))
        (copy / name).write_text(text, encoding="utf-8")
        _, problems = load_faq([copy])
    return [str(p).replace(str(copy), str(faq_dir)) for p in problems]


def edit(faq_dir: Path, name: str, change: Callable[[str], str]) -> None:
    """Apply `change` to the text of `faq_dir/name`; FaqError (nothing written) if the result fails the check."""
    faq_dir = Path(faq_dir)
    path = faq_dir / name
    with locked(faq_dir):
        new = change(path.read_text(encoding="utf-8"))
        problems = problems_with(faq_dir, name, new)
        if problems:
            raise FaqError(["the change would break the FAQ, nothing was written:", *problems])
        write_atomic(path, new)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block(lines: List[str], entry: FaqEntry) -> Tuple[int, int, int]:
    """The entry's lines [start, end) and the column of its keys."""
    start = entry.line - 1
    if not 0 <= start < len(lines) or not re.match(rf"^\s*- id:\s*['\"]?{re.escape(entry.id)}['\"]?\s*(#.*)?$",
                                                   lines[start]):
        raise FaqError([f"entry {entry.id} is no longer at {entry.file}:{entry.line}: reload the page and try again"])
    key = lines[start].index("id:")
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) >= key):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return start, end, key


def add_alternates(text: str, entry: FaqEntry, wordings: Sequence[str]) -> str:
    """`text` with `wordings` appended to the alternates of `entry`; the rest of the file stays as
    staff wrote it (comments, order, layout)."""
    lines = text.split("\n")
    start, end, key = _block(lines, entry)
    items = [" " * (key + 2) + "- " + json.dumps(w, ensure_ascii=False) for w in wordings]
    for k in range(start + 1, end):
        if not re.match(rf"^ {{{key}}}alternates:", lines[k]):
            continue
        if not re.match(rf"^ {{{key}}}alternates:\s*(#.*)?$", lines[k]):
            raise FaqError([f"the alternates of {entry.id} ({entry.file}:{entry.line}) are written on one line: "
                            "write them one per line (`  - 问法`) and try again"])
        last = k
        for j in range(k + 1, end):
            if lines[j].strip() and _indent(lines[j]) <= key:
                break
            if lines[j].strip():
                last = j
                if lines[j].lstrip().startswith("- "):
                    items = [" " * _indent(lines[j]) + item.lstrip() for item in items]
        return "\n".join(lines[:last + 1] + items + lines[last + 1:])
    return "\n".join(lines[:end] + [" " * key + "alternates:"] + items + lines[end:])


EDITABLE = ("question", "alternates", "answer", "comment")


def replace_fields(text: str, entry: FaqEntry, values: Dict[str, object]) -> str:
    """`text` with the entry's question, alternates, answer and comment set to `values`; its other
    keys (scope, dates, keywords...) and the rest of the file stay as written."""
    lines = text.split("\n")
    start, end, key = _block(lines, entry)
    body = lines[start + 1:end]
    kept: List[str] = []
    skipping = False
    for line in body:
        found = re.match(rf"^ {{{key}}}([a-z_]+):", line)
        if found:
            skipping = found.group(1) in values
        elif line.strip() and _indent(line) <= key:
            skipping = False
        if not skipping:
            kept.append(line)
    rendered: List[str] = []
    for name in EDITABLE:
        if name not in values:
            continue
        value = values[name]
        if name == "alternates":
            wordings = [w for w in value if w]  # type: ignore[union-attr]
            if wordings:
                rendered += [" " * key + "alternates:"] + [" " * (key + 2) + "- " + json.dumps(w, ensure_ascii=False)
                                                            for w in wordings]
        else:
            rendered.append(" " * key + f"{name}: " + json.dumps(value, ensure_ascii=False))
    return "\n".join(lines[:start + 1] + rendered + kept + lines[end:])
