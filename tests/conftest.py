"""Shared fixtures: project paths, a copy of the FAQ directory, databases (`factory`: each test
on SQLite and on PostgreSQL, in a schema of its own)."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.store.db import make_engine, make_session_factory, migrate

ROOT = Path(__file__).resolve().parent.parent
FAQ_DIR = ROOT / "data" / "faq"
MODEL_DIR = ROOT / "models"
# The departments' manuals and the labelled dev set live in shared/ beside the clone (as in CI).
SHARED = Path(os.environ.get("BOT_SHARED_DIR", ROOT.parent / "shared"))
DEV_SET = SHARED / "eval" / "dev.jsonl"
MANUALS = SHARED / "manuals"


@pytest.fixture(scope="session", autouse=True)
def _people_always_there():
    """Service hours follow the wall clock; a test run at night must not see DM notes it did not
    ask for. Set before any server a module starts (they inherit it); tests of the hours pass their own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BOT_SERVICE_HOURS", str(ROOT / "tests" / "no-service-hours.yml"))
        yield


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


@pytest.fixture(params=["sqlite", "postgresql"])
def factory(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
        migrate(url)
        engine = make_engine(url)
    else:
        # A schema of its own per test keeps runs independent on the shared `test` database.
        schema = f"t_{uuid.uuid4().hex[:10]}"
        admin = make_engine(postgres_url())
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = postgres_url() + ("&" if "?" in postgres_url() else "?") + f"options=-csearch_path%3D{schema}"
        migrate(url)
        engine = make_engine(url)
        request.addfinalizer(lambda: _drop_schema(admin, schema, engine))
    return make_session_factory(engine)


def _drop_schema(admin, schema, engine):
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


STANDIN_TOKEN = "standin-test-token"


@pytest.fixture
def standin():
    """The Weibo API stand-in on a loopback port, for one test; calls must carry STANDIN_TOKEN."""
    from bot.weibo.standin import WeiboStandIn

    api = WeiboStandIn(access_token=STANDIN_TOKEN).start()
    yield api
    api.stop()


@pytest.fixture(scope="session")
def nlu_parser():
    """The trained model (models/, `make train`), loaded once for the tests that triage for real."""
    from bot.nlu.parser import NluParser

    return NluParser.load(MODEL_DIR)


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium (never a downloaded one) for one module's browser tests: Playwright's sync
    API keeps an event loop on this thread while it runs, so it must end with the module (later
    tests call asyncio.run)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.browser import CHROMIUM, LAUNCH_ARGS

    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def sign_in(browser, world):
    """Sign operators in to the console of the module's `world` (its `base` URL); each gets a context."""
    from tests.browser import Operator

    opened: list = []

    def _sign_in(name: str) -> Operator:
        operator = Operator(browser, world, name)
        response = operator.sign_in()
        assert response.status == 200 and operator.page.url == world.base + "/", operator.text()
        opened.append(operator)
        return operator

    yield _sign_in
    for operator in opened:
        assert operator.dialogs == [], f"a dialog fired for {operator.name}: {operator.dialogs}"
        operator.context.close()
