"""Build the book with warnings as errors, then check it in headless Chromium, offline.

Every host but 127.0.0.1 is blocked, and any attempt to reach one fails the test:
the site must not depend on a CDN. Every chart on every page must have drawn, and
a tooltip must appear on hover. Set CSMODELS_SCREENSHOTS=DIR to keep screenshots.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# the console script installed beside this interpreter (jupyter_book has no __main__)
JUPYTER_BOOK = str(Path(sys.executable).with_name("jupyter-book"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """A fresh build (empty execution cache, so every chapter runs) with -W -n."""
    out = tmp_path_factory.mktemp("book")
    result = subprocess.run(
        [JUPYTER_BOOK, "build", str(ROOT), "--path-output", str(out), "-W", "-n", "--keep-going"],
        capture_output=True, text=True, timeout=1200)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-6000:]
    # Sphinx warnings read "WARNING: ..."; the kernel's own "[IPKernelApp] WARNING | ..." log
    # line about its local TCP transport is not a build warning.
    assert "WARNING:" not in log, log[-6000:]
    return out / "_build" / "html"


@pytest.fixture(scope="session")
def server(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is needed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Offline:
    """A browser page on which every request off 127.0.0.1 (or file://) is refused."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda err: self.errors.append(str(err)))

    def _route(self, route):
        url = urlparse(route.request.url)
        if url.scheme in ("file", "data", "blob") or url.hostname == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def close(self):
        self.context.close()


def pages(site: Path) -> list[str]:
    skip = {"genindex.html", "search.html"}
    return sorted(str(p.relative_to(site)) for p in site.rglob("*.html")
                  if p.name not in skip and "_static" not in p.parts)


def wait_for_charts(page) -> int:
    """Wait until every chart on the page has drawn or failed; return how many there are."""
    page.wait_for_function(
        "Array.from(document.querySelectorAll('div.csmodels-chart'))"
        ".every(d => ['done', 'failed'].includes(d.getAttribute('data-embedded')))",
        timeout=30_000)
    states = page.eval_on_selector_all(
        "div.csmodels-chart", "ds => ds.map(d => [d.getAttribute('data-embedded'), "
        "d.querySelectorAll('svg.marks').length])")
    assert all(state == "done" and svgs == 1 for state, svgs in states), states
    return len(states)


def test_every_chart_on_every_page_draws_offline(site, server, browser):
    found = {}
    for name in pages(site):
        tab = Offline(browser)
        tab.page.goto(f"{server}/{name}", wait_until="load")
        found[name] = wait_for_charts(tab.page)
        assert tab.blocked == [], f"{name} tried to reach {tab.blocked}"
        assert tab.errors == [], f"{name}: {tab.errors}"
        shots = os.environ.get("CSMODELS_SCREENSHOTS")
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            tab.page.screenshot(path=str(Path(shots) / (name.replace("/", "_") + ".png")),
                                full_page=True)
        tab.close()
    assert found["chapters/metrics.html"] >= 5, found


def test_tooltips_show_values(server, browser):
    tab = Offline(browser)
    tab.page.goto(f"{server}/chapters/metrics.html", wait_until="load")
    wait_for_charts(tab.page)
    chart = tab.page.locator("div.csmodels-chart[data-embedded='done']").nth(3)
    chart.scroll_into_view_if_needed()
    chart.locator("svg path[aria-label*='Score: 9;']").first.hover()
    tooltip = tab.page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible", timeout=5_000)
    assert "Score" in tooltip.inner_text()
    tab.close()


def test_a_page_opened_from_disk_draws(site, browser):
    tab = Offline(browser)
    tab.page.goto((site / "chapters" / "metrics.html").as_uri(), wait_until="load")
    assert wait_for_charts(tab.page) >= 5
    assert tab.blocked == [] and tab.errors == []
    tab.close()


def test_glued_numbers_are_in_the_page(site):
    import csmodels as cs
    from csmodels.book import fmt

    text = (site / "chapters" / "metrics.html").read_text(encoding="utf-8")
    summary = cs.metrics_summary(cs.load_company(ROOT / "data" / "sample"))
    for value in (fmt(summary["nrr"]), fmt(summary["grr"]), fmt(summary["nps"], "nps")):
        assert value in text
    # nothing the page loads (scripts, styles, images, fonts) comes from another host
    external = re.findall(r'<(?:script|link|img|iframe)[^>]+(?:src|href)="(?:https?:)?//[^"]+"',
                          text)
    assert external == []
