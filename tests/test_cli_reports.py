"""`bot demo seed` and `bot report` as a user runs them: a seeded database, every format, scoping by
who asks, and clear errors."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bot.cli import main
from bot.store import operators
from bot.store.db import make_engine, make_session_factory, migrate


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """One seeded database for the module (seeding loads the model: a few seconds)."""
    tmp = tmp_path_factory.mktemp("reports")
    url = f"sqlite:///{tmp / 'demo.sqlite3'}"
    migrate(url)
    factory = make_session_factory(make_engine(url))
    operators.add(factory, "carol", "password-123", ["after_sales"])
    operators.add(factory, "alice", "password-123", role="operator")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BOT_DATABASE_URL", url)
        assert main(["demo", "seed", "--days", "3", "--per-day", "30"]) == 0
    return url, tmp


@pytest.fixture
def env(seeded, monkeypatch):
    url, tmp = seeded
    monkeypatch.setenv("BOT_DATABASE_URL", url)
    monkeypatch.delenv("BOT_OPERATOR", raising=False)
    return tmp


def _run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_json_report_counts_what_the_seed_wrote(env, capsys):
    code, out, _ = _run(capsys, "report", "--format", "json", "--days", "30")
    assert code == 0
    data = json.loads(out)
    assert len(data["tables"]["volume"]["rows"]) == 30
    total = sum(row["合计"] for row in data["tables"]["volume"]["rows"])
    assert total == data["headline"]["消息总数"] > 0 and data["departments"] is None


def test_the_csv_and_html_reports_are_written_where_asked(env, capsys):
    target = env / "out" / "report.csv"
    code, _, err = _run(capsys, "report", "--format", "csv", "-o", str(target))
    assert code == 0 and "report written to" in err
    sections = {row[0] for row in csv.reader(io.StringIO(target.read_text(encoding="utf-8"))) if row}
    assert {"headline", "volume", "service_levels", "faq_hits", "top_fans"} <= sections
    code, out, _ = _run(capsys, "report")
    assert code == 0 and out.startswith("<!doctype html>") and "每日消息量" in out


def test_a_member_sees_only_his_departments_and_is_refused_the_others(env, capsys):
    code, out, _ = _run(capsys, "report", "--format", "json", "--as", "carol")
    assert code == 0 and json.loads(out)["departments"] == ["after_sales"]
    code, _, err = _run(capsys, "report", "--department", "pr", "--as", "carol")
    assert code == 2 and "not your department" in err
    code, out, _ = _run(capsys, "report", "--format", "json", "--department", "pr", "--as", "alice")
    assert code == 0 and json.loads(out)["departments"] == ["pr"]


@pytest.mark.parametrize("args, message", [
    (["--since", "yesterday"], "is not a date"),
    (["--since", "2026-11-30", "--until", "2026-11-01"], "would be empty"),
    (["--days", "0"], "at least one day"),
])
def test_a_bad_period_is_refused_with_the_fix(env, capsys, args, message):
    code, _, err = _run(capsys, "report", *args)
    assert code == 2 and message in err


def test_seeding_a_database_that_holds_messages_is_refused(env, capsys):
    code, _, err = _run(capsys, "demo", "seed", "--days", "1")
    assert code == 2 and "already holds" in err and "BOT_DATA_DIR" in err
