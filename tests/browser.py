"""Driving Debian's chromium with Playwright: one signed-in operator per browser context."""

from __future__ import annotations

import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Dict, Iterator, List, Sequence, Tuple

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct-horse-1"
CONSOLE = ("import sys; from bot.settings import Settings; from bot.console.app import run; "
           "run(Settings.from_env(), int(sys.argv[1]))")


@contextmanager
def console_world(tmp: Path, people: Sequence[Tuple[str, str, Sequence[str]]],
                  env: Dict[str, str] | None = None) -> Iterator[SimpleNamespace]:
    """A scratch SQLite queue, a copy of the FAQ files and operators (name, role, departments, all
    with PASSWORD), then the console serving them on a free loopback port, stopped on exit."""
    from bot.store import operators
    from bot.store.db import make_engine, make_session_factory, migrate
    from tests.conftest import FAQ_DIR
    from tests.helpers import free_port, start, stop, wait_http

    url = f"sqlite:///{tmp / 'bot.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    faq_dir = tmp / "faq"
    shutil.copytree(FAQ_DIR, faq_dir)
    for name, role, departments in people:
        operators.add(factory, name, PASSWORD, departments, role=role)
    port = free_port()
    world = SimpleNamespace(factory=factory, faq_dir=faq_dir, tmp=tmp, url=url, base=f"http://127.0.0.1:{port}")
    world.proc = start([sys.executable, "-c", CONSOLE, str(port)],
                       {"BOT_DATABASE_URL": url, "BOT_FAQ_DIR": str(faq_dir), **(env or {})}, tmp / "console.log")
    try:
        wait_http(world.base + "/login", timeout=60, proc=world.proc)
        yield world
    finally:
        stop(world.proc)
        engine.dispose()


class Operator:
    """One operator's browser context and page, with every JavaScript dialog recorded."""

    def __init__(self, browser, world, name: str) -> None:
        self.world, self.name = world, name
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        self.page = self.context.new_page()
        self.dialogs: List[str] = []
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))

    def goto(self, path: str):
        return self.page.goto(self.world.base + path)

    def sign_in(self, password: str = PASSWORD):
        self.goto("/login")
        self.page.fill("input[name=name]", self.name)
        self.page.fill("input[name=password]", password)
        with self.page.expect_navigation() as nav:
            self.page.click("form[action='/login'] button")
        return nav.value

    def submit(self, form: str):
        """Click the submit button of the form matching `form`; the response of the navigation."""
        with self.page.expect_navigation() as nav:
            self.page.click(f"{form} button[type=submit]")
        return nav.value

    def text(self) -> str:
        return self.page.inner_text("body")

    def queue_rows(self) -> Dict[int, List[str]]:
        rows = {}
        for row in self.page.locator("table.tickets tbody tr").all():
            cells = row.locator("td").all_inner_texts()
            if cells and cells[0].startswith("#"):
                rows[int(cells[0][1:])] = cells
        return rows
