"""report.html in a real browser: headless Chromium renders it with no console error, no
failed image and no request beyond the file itself.

Needs Chromium (``/usr/bin/chromium``, Debian's ``chromium`` package, which ``.ci/run``
installs) and Playwright for Python (in the ``dev`` extra); skipped otherwise.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # the dev extra is not installed
    sync_playwright = None

CHROMIUM = Path("/usr/bin/chromium") if Path("/usr/bin/chromium").is_file() else shutil.which("chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or sync_playwright is None,
    reason="needs Chromium (apt-get install chromium; .ci/run installs it) and Playwright (pip install -e '.[dev]')",
)


def test_report_html_renders_in_headless_chromium_without_errors_or_requests(tiny_report) -> None:
    console: list[str] = []
    requests: list[str] = []
    page_url = tiny_report.html.resolve().as_uri()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page()
            page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
            page.on("pageerror", lambda error: console.append(f"page error: {error}"))
            page.on("requestfailed", lambda request: console.append(f"failed: {request.url[:80]}"))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_url, wait_until="load")
            images = page.evaluate(
                "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
            )
            title = page.title()
        finally:
            browser.close()
    assert console == []
    assert [url for url in requests if not url.startswith("data:")] == [page_url]
    assert len(images) == len(tiny_report.plots)
    assert all(complete and width >= 400 and height >= 200 for complete, width, height in images)
    assert title == "extractbench · run"
