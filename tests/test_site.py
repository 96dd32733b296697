"""Build the book with warnings as errors, then check it in headless Chromium, offline.

Every host but 127.0.0.1 is blocked, and any attempt to reach one fails the test:
the site must not depend on a CDN. Every chart on every page must have drawn, and
a tooltip must appear on hover. Set CSMODELS_SCREENSHOTS=DIR to keep screenshots.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ROOT = Path(__file__).resolve().parents[1]
# the built site, its local server and the browser are session fixtures in conftest.py,
# shared with test_layout.py so the book is built once per run
from chromium import chart_states, undrawn  # noqa: E402  (teaching/, on the path by conftest)


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
    states = chart_states(page)
    assert undrawn(states) == 0, states
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
    for value in (fmt(summary.nrr), fmt(summary.grr), fmt(summary.nps, "nps")):
        assert value in text
    # nothing the page loads (scripts, styles, images, fonts) comes from another host
    external = re.findall(r'<(?:script|link|img|iframe)[^>]+(?:src|href)="(?:https?:)?//[^"]+"',
                          text)
    assert external == []
