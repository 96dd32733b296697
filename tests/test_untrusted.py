"""Untrusted strings: names from a reader's data show as text everywhere, never run.

A company whose name, account, CSM and segment names (and even its data folder's
name) hold HTML, script tags, a closing script tag, quotes, control characters,
right-to-left text, emoji and spreadsheet formulas is built into a whole site with
``csmodels book``; headless Chromium, offline, then opens every page and checks that
nothing ran and that the names are visible as text.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from chromium import chart_states
from conftest import CHROMIUM, CHROMIUM_ARGS, _QuietHandler

from csmodels.book import visible

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PWN = "window.__pwned = (window.__pwned || 0) + 1"
COMPANY = f'Evil "Co" <img src=x onerror="{PWN}"> \u202eredacted\u202c 🚀'
# A real folder (Linux allows any character but "/"): a blank line, a substitution, a
# raw-HTML directive. The company name reaches chart titles and the prose (profile fields
# are one line: the loader refuses line breaks there). The currency is not hostile here:
# the loader refuses any but three capital letters (tests/bad_inputs, profile_currency_html).
FOLDER = (f"co\n\n{{{{ 7*191 }}}}\n\n```{{raw}} html\n<svg onload=\"{PWN}\">\n```\n"
          "<i>data")
CURRENCY = "EUR"
NAMES = [
    f"<script>{PWN}</script>",
    f"</script><script>{PWN}</script>",
    f"<b onmouseover='{PWN}'>bold</b> & 'quotes' \"double\"",
    "=HYPERLINK(\"http://example.invalid\",\"click\")",
    "+1+1", "-2+3", "@SUM(A1)", "tab\there", "bell\x07char", "שלום עולם", "😀 emoji Ltd",
]


def plain(text: str) -> str:
    """Text without direction marks, with straight quotes (Sphinx curls the quotes of
    text in prose, data included; the characters are otherwise as typed)."""
    for curly, straight in (("\u201c", '"'), ("\u201d", '"'), ("\u2018", "'"),
                            ("\u2019", "'"), ("\u202e", ""), ("\u202c", "")):
        text = text.replace(curly, straight)
    return text


@pytest.fixture(scope="module")
def evil_site(tmp_path_factory) -> Path:
    from csmodels.synth import CompanyShape, generate_company, write_company

    tables = generate_company(CompanyShape(n_initial_accounts=60, months=24), seed=5)
    accounts = tables["accounts"]
    accounts["name"] = [NAMES[i % len(NAMES)] + f" #{i}" for i in range(len(accounts))]
    accounts["csm"] = [NAMES[(i + 3) % len(NAMES)] for i in range(len(accounts))]
    accounts["segment"] = [NAMES[(i + 5) % 3] for i in range(len(accounts))]
    root = tmp_path_factory.mktemp("evil")
    data = root / FOLDER
    write_company(tables, data, {"company": COMPANY, "currency": CURRENCY})
    out = root / "site"
    done = subprocess.run([sys.executable, "-m", "csmodels", "book", "--data", str(data),
                           "--out", str(out), "-p", "lookback_months", "6",
                           "-p", "collaboration.split", "0.4"],
                          capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stderr[-4000:]
    assert yaml.safe_load((data / "profile.yml").read_text())["company"] == COMPANY
    return next(p.parent for p in out.rglob("intro.html"))


def test_nothing_runs_and_names_show_as_text(evil_site):
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_QuietHandler, directory=str(evil_site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    pages = sorted(p.relative_to(evil_site).as_posix() for p in evil_site.rglob("*.html")
                   if p.name not in ("search.html", "genindex.html"))
    dialogs, blocked, shown = [], [], {}

    def visit_every_page():
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context()
            context.route("**/*", lambda route: route.continue_()
                          if urlparse(route.request.url).hostname == "127.0.0.1"
                          else (blocked.append(route.request.url), route.abort()))
            page = context.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            for name in pages:
                page.goto(f"{base}/{name}", wait_until="load")
                page.wait_for_timeout(300)
                page.mouse.move(300, 300)
                assert page.evaluate("window.__pwned") is None, name
                assert page.locator("img[src='x']").count() == 0, name
                assert page.locator("b[onmouseover]").count() == 0, name
                assert page.locator("svg[onload]").count() == 0, name
                chart_states(page, timeout=20000)
                failed = page.evaluate("[...document.querySelectorAll('.csmodels-chart-error')]"
                                       ".map(e => e.innerText)")
                assert failed == [], name  # every chart drew
                shown[name] = page.evaluate("document.body.innerText")
            browser.close()

    # Playwright's sync API refuses to start on a thread whose asyncio loop is running, and an
    # earlier in-process notebook run can leave one on the main thread: browse from a fresh thread.
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(visit_every_page).result()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert dialogs == [] and blocked == []
    metrics = next(text for name, text in shown.items() if name.endswith("metrics.html"))
    assert plain(COMPANY) in plain(metrics)
    assert "1337" not in "\n".join(shown.values())  # no {{ }} was evaluated
    folder = visible((evil_site.parent / FOLDER).resolve())
    for name, text in shown.items():  # the footer (and any provenance box) shows the name
        assert name.startswith("_static/") or folder in text, name
    assert "lookback_months = 6" in metrics and "split = 0.4" not in metrics
    collaboration = next(t for n, t in shown.items() if n.endswith("collaboration.html"))
    assert "split = 0.4" in collaboration and "lookback_months = 6" not in collaboration
    everywhere = "\n".join(shown.values())
    # every name that a page shows is shown as the literal text
    raw = "\n".join((evil_site / n).read_text(encoding="utf-8") for n in pages)
    for name in NAMES:
        if name.split()[0].replace("<", "&lt;") in raw:
            assert plain(name.split()[0]) in plain(everywhere), name
