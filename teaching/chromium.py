"""The book's pages in headless Chromium: the browser's path and flags, and the wait
until every chart has drawn. Shared by ``print.py`` and the tests that open the site.

Each chart of the site is a ``div.csmodels-chart`` whose ``data-embedded`` attribute the
site's script sets to ``done`` once the chart library has drawn it, or ``failed``.
"""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # Debian's chromium
# no sandbox (a container), no GPU, and nothing Chromium would fetch on its own
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
_SETTLED = ("Array.from(document.querySelectorAll('div.csmodels-chart'))"
            ".every(d => ['done', 'failed'].includes(d.getAttribute('data-embedded')))")
_STATES = ("ds => ds.map(d => [d.getAttribute('data-embedded'), "
           "d.querySelectorAll('svg.marks').length])")


def chart_states(page, timeout: int = 30_000) -> list[tuple[str, int]]:
    """Wait until every chart on a Playwright ``page`` has drawn or failed (at most
    ``timeout`` milliseconds); for each chart, its state and how many drawings it holds
    (one when it drew)."""
    page.wait_for_function(_SETTLED, timeout=timeout)
    return [tuple(state) for state in page.eval_on_selector_all("div.csmodels-chart",
                                                                _STATES)]


def undrawn(states: list[tuple[str, int]]) -> int:
    """How many of the charts ``states`` describes did not draw."""
    return sum(1 for state, drawings in states if state != "done" or drawings != 1)
