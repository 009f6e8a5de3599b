"""Shared fixtures: project paths, a copy of the FAQ directory, databases."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FAQ_DIR = ROOT / "data" / "faq"
MODEL_DIR = ROOT / "models"
# The departments' manuals and the labelled dev set live in shared/ beside the clone (as in CI).
SHARED = Path(os.environ.get("BOT_SHARED_DIR", ROOT.parent / "shared"))
DEV_SET = SHARED / "eval" / "dev.jsonl"
MANUALS = SHARED / "manuals"


@pytest.fixture(autouse=True)
def _project_cwd(monkeypatch):
    # Commands resolve data/ and models/ relative to the project root, as users run them.
    monkeypatch.chdir(ROOT)


@pytest.fixture
def faq_copy(tmp_path: Path) -> Path:
    target = tmp_path / "faq"
    shutil.copytree(FAQ_DIR, target)
    return target


def postgres_url() -> str:
    return os.environ.get("BOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
