"""What the layout test measures on one page in headless Chromium (used by test_layout.py).

Run it by hand on a built site to see every problem at once and keep screenshots:
``python tests/layout_probe.py _build/html SHOTS_DIR``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# the wait for the charts and the browser are the printer's (teaching/chromium.py)
sys.path.append(str(Path(__file__).resolve().parents[1] / "teaching"))
from chromium import CHROMIUM, CHROMIUM_ARGS, chart_states

# Returns a list of problems, each a short description of one element.
# * an element whose content is wider than its box, unless the box scrolls on purpose
#   (overflow-x auto or scroll: the wrapper of a wide table) or is invisible;
# * an element reaching past the right edge of the window, unless inside such a scroller;
# * a horizontal scroll of the page itself;
# * a chart's text outside its SVG, or shortened by the chart library ("…");
# * a glyph that needs an emoji font (U+2600-27BF, U+1F000 and above);
# * more than one visible search box;
# * a cell of the book's tables or a chart's text that is an internal code (``codes``), or
#   an empty table cell.
# Dropdowns are opened first, so hidden code and outputs are checked as a reader opens them.
PROBE = r"""
(codes) => {
  const code = new Set(codes);
  // open every dropdown (hidden code and outputs) so what is in it is checked too
  // (not the chart library's export menu, a details element that pops up over the page)
  document.querySelectorAll("details").forEach((d) => {
    if (!d.closest(".vega-embed")) { d.open = true; }
  });
  const problems = [];
  const width = document.documentElement.clientWidth;
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) { name += "#" + el.id; }
    if (el.classList.length) { name += "." + Array.from(el.classList).slice(0, 2).join("."); }
    const text = (el.innerText || el.textContent || "").trim().replace(/\s+/g, " ");
    return name + ' "' + text.slice(0, 60) + '"';
  };
  const visible = (el) => {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") { return false; }
    const rect = el.getBoundingClientRect();
    return rect.width > 0 && rect.height > 0 && el.offsetParent !== null;
  };
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const inScroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (p === document.body || p === document.documentElement) { return false; }
      if (scrolls(p) && p.scrollWidth > p.clientWidth) { return true; }
    }
    return false;
  };
  if (document.documentElement.scrollWidth > width + 1) {
    problems.push("the page scrolls sideways: " + document.documentElement.scrollWidth +
                  " px wide in a " + width + " px window");
  }
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("svg") || ["SCRIPT", "STYLE", "NOSCRIPT"].includes(el.tagName)) { continue; }
    if (el.closest(".bd-sidebar-primary, .bd-sidebar-secondary, .search-button__wrapper")
        && !visible(el)) { continue; }
    if (!visible(el)) { continue; }
    // MathJax's boxes are narrower than the italic glyphs they hold, by design
    if (el.closest("mjx-container") && !el.matches("mjx-container")) { continue; }
    if (el.matches("span.math, mjx-container:not([display=true])")) { continue; }
    const overflows = el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0;
    if (overflows && !scrolls(el)) {
      problems.push("content wider than its box (" + el.scrollWidth + " > " + el.clientWidth +
                    " px): " + describe(el));
    }
    const rect = el.getBoundingClientRect();
    if (rect.right > width + 1 && !inScroller(el)) {
      problems.push("past the right edge of the window (" + Math.round(rect.right) + " > " +
                    width + " px): " + describe(el));
    }
  }
  for (const svg of document.querySelectorAll("div.csmodels-chart svg.marks")) {
    const box = svg.getBoundingClientRect();
    for (const text of svg.querySelectorAll("text")) {
      const r = text.getBoundingClientRect();
      const words = text.textContent;
      if (!words.trim()) { continue; }
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 ||
          r.bottom > box.bottom + 1) {
        problems.push('chart text outside its chart: "' + words + '"');
      }
      if (code.has(words.trim())) { problems.push('chart text is a code: "' + words + '"'); }
      if (words.endsWith("\u2026")) { problems.push('chart text cut short: "' + words + '"'); }
      const size = parseFloat(getComputedStyle(text).fontSize || text.getAttribute("font-size"));
      if (size < 12) {
        problems.push("chart text smaller than 12 px (" + size + '): "' + words + '"');
      }
    }
  }
  for (const cell of document.querySelectorAll("article td, article th")) {
    if (!visible(cell)) { continue; }
    const size = parseFloat(getComputedStyle(cell).fontSize);
    if (size < 12) { problems.push("table text smaller than 12 px: " + describe(cell)); }
    const text = cell.innerText.trim();
    // the data dictionary lists the codes a reader writes in a file; the book's tables do not
    if (cell.closest("table.csmodels-table") && code.has(text)) {
      problems.push("table cell is a code: " + describe(cell));
    }
    if (!text && cell.tagName === "TD") { problems.push("empty table cell in: " +
                                                        describe(cell.closest("table") || cell)); }
  }
  const emoji = /[\u2600-\u27BF]|[\uD83C-\uD83E][\uDC00-\uDFFF]/u;
  const found = (document.body.innerText || "").match(emoji);
  if (found) { problems.push("a glyph that needs an emoji font: " + found[0]); }
  const searches = Array.from(document.querySelectorAll(
    ".search-button-field, .search-button"))
    .filter((el) => visible(el) && !el.closest("article"));
  if (width >= 992 && searches.length !== 1) {
    problems.push(searches.length + " search boxes: " + searches.map(describe).join(", "));
  }
  return Array.from(new Set(problems));
}
"""

WIDTHS = (1400, 390)


def pages(site) -> list[str]:
    """Every page of a built site, as paths relative to it: not the generated index, and
    not a page that only redirects (the site's index.html sends a reader to the intro)."""
    site = Path(site)
    return sorted(str(p.relative_to(site)) for p in site.rglob("*.html")
                  if "_static" not in p.parts and p.name != "genindex.html"
                  and 'http-equiv="Refresh"' not in p.read_text(encoding="utf-8")[:2000])


def codes() -> list[str]:
    """The internal codes that must never reach a reader."""
    from csmodels.style import display_names

    return sorted(display_names())


def probe(browser, url: str, width: int, screenshot: str | None = None) -> list[str]:
    """The layout problems of the page at ``url`` in a window ``width`` pixels wide."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(url, wait_until="load")
        chart_states(page)
        page.evaluate("document.fonts.ready")
        if screenshot:
            page.screenshot(path=screenshot, full_page=True)
        return page.evaluate(PROBE, codes())
    finally:
        context.close()


if __name__ == "__main__":
    from playwright.sync_api import sync_playwright

    site, shots = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    shots.mkdir(parents=True, exist_ok=True)
    only = sys.argv[3:] or None
    names = pages(site)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name in names:
            if only and not any(o in name for o in only):
                continue
            for width in WIDTHS:
                shot = str(shots / f"{name.replace('/', '_')}-{width}.png")
                for problem in probe(browser, (site / name).as_uri(), width, shot):
                    print(f"{name} @{width}: {problem}")
        browser.close()
