"""Driving Debian's chromium with Playwright: one signed-in operator per browser context."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct-horse-1"


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
