"""The README's pictures of the report: a demo month seeded into a scratch database, the console's
report page in Debian's chromium (never a downloaded browser).

    .venv/bin/python scripts/report_screenshots.py            # writes docs/screenshots/report-*.png
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import CHROMIUM, LAUNCH_ARGS  # noqa: E402
from tests.helpers import free_port, start, stop, wait_http  # noqa: E402

BIN = Path(sys.executable).parent
PASSWORD = "demo-password-1"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "BOT_DATA_DIR": scratch}
        env.pop("BOT_DATABASE_URL", None)
        run = dict(env=env, cwd=ROOT, check=True)
        subprocess.run([str(BIN / "bot"), "demo", "seed", "--days", str(args.days)], **run)
        subprocess.run([str(BIN / "bot"), "operators", "add", "demo", "--role", "operator", "--password-stdin"],
                       input=PASSWORD + "\n", text=True, **run)
        started = time.monotonic()
        subprocess.run([str(BIN / "bot"), "report", "-o", str(Path(scratch) / "report.html")], **run)
        print(f"bot report over the demo month: {time.monotonic() - started:.1f} s (whole process)")
        port = free_port()
        proc = start([str(BIN / "bot"), "console", "--port", str(port)],
                     {"BOT_DATA_DIR": scratch, "BOT_DATABASE_URL": ""}, Path(scratch) / "console.log")
        try:
            wait_http(f"http://127.0.0.1:{port}/login", timeout=60, proc=proc)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
                page.goto(f"http://127.0.0.1:{port}/login")
                page.fill("input[name=name]", "demo")
                page.fill("input[name=password]", PASSWORD)
                with page.expect_navigation():
                    page.click("form[action='/login'] button")
                page.goto(f"http://127.0.0.1:{port}/reports")
                page.wait_for_selector("[data-chart='volume'][data-drawn='1']")
                out = Path(args.out)
                out.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out / "report-demo.png"))
                page.locator("article.cluster").first.scroll_into_view_if_needed()
                page.locator("section.report h2").first.scroll_into_view_if_needed()
                page.screenshot(path=str(out / "report-clusters.png"))
                browser.close()
        finally:
            stop(proc)
    print(f"screenshots written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
