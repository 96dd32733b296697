"""The "Try it" explorer of the functions chapter, moved to several positions in headless
Chromium: GRR never above NRR, every figure formatted, and its words true at every
position, checked against the package's own projection."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

import csmodels as cs
from csmodels import charts
from csmodels.charts._render import chart_html
from csmodels.sphinxext import write_script

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ROOT = Path(__file__).resolve().parents[1]
# (GRR %, expansion %, bookings in the slider's unit, bookings growth %, years shown)
POSITIONS = [
    (92.1, 12.3, 3.89, 0, 5),    # the sample company's start
    (85.0, 5.0, 3.89, 0, 5),     # NRR 90%: the base shrinks, yet the bars grow
    (85.0, 5.0, 0.0, 0, 8),      # NRR 90% and no bookings: ARR falls
    (100.0, 0.0, 0.0, 0, 3),     # NRR = GRR = 100%: the base stays level
    (60.0, 30.0, 11.68, 50, 15),  # the sliders' extremes
    (50.0, 0.0, 2.5, -50, 1),
]


def open_explorer(browser, folder: Path, currency: str):
    """A page with the chapter's explorer on the sample company, new customers following
    its fitted cohort model as in the chapter, and the book's chart script; returns
    (page, params, the page's errors)."""
    write_script(folder)
    summary = cs.functions_summary(cs.load_company(ROOT / "data" / "sample"), cs.Profile(),
                                   bootstrap_draws=20)
    params = summary.base.model
    spec = charts.revenue_base_explorer(params, currency,
                                        survival=summary.base.explorer_survival).to_dict()
    (folder / "index.html").write_text(
        '<!doctype html><html><head><meta charset="utf-8"><script src="csmodels-charts.js">'
        f"</script></head><body>{chart_html(spec)}</body></html>", encoding="utf-8")
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto((folder / "index.html").as_uri())
    page.wait_for_function("document.querySelector('div.csmodels-chart')"
                           ".getAttribute('data-embedded') === 'done'", timeout=30_000)
    return page, (params, summary.base.explorer_survival), errors


@pytest.fixture(scope="module")
def explorer(browser, tmp_path_factory):
    page, params, errors = open_explorer(browser, tmp_path_factory.mktemp("explorer"), "USD")
    yield page, params
    assert errors == []
    page.close()


def move(page, position) -> dict:
    """Set every slider, wait for the chart to redraw, return what the reader sees."""
    names = ("grr_pct", "expansion_pct", "b1_units", "growth_pct", "horizon")
    for name, value in zip(names, position, strict=True):
        page.eval_on_selector(f"input[name='{name}']", "(el, v) => { el.value = v; "
                              "el.dispatchEvent(new Event('input', {bubbles: true})); }", value)
    nrr = f"NRR {(position[0] + position[1]) / 100:.1%} = GRR {position[0] / 100:.1%}"
    page.wait_for_function("t => document.querySelector('svg.marks').textContent.includes(t)",
                           arg=nrr, timeout=10_000)
    page.wait_for_function("y => document.querySelector('svg.marks').textContent"
                           ".includes('Year ' + y + ':')", arg=position[4], timeout=10_000)
    return page.evaluate("""() => ({
        texts: Array.from(document.querySelectorAll('svg.marks text')).map(t => t.textContent),
        sliders: Array.from(document.querySelectorAll('.vega-bind')).map(b => b.textContent),
        aria: Array.from(document.querySelectorAll('svg.marks [aria-label]'))
            .map(e => e.getAttribute('aria-label')),
    })""")


def money(text: str) -> float:
    return float(text.replace(",", ""))


@pytest.mark.parametrize("position", POSITIONS, ids=lambda p: "-".join(map(str, p)))
def test_the_explorer_stays_consistent(explorer, position):
    page, params = explorer
    seen = move(page, position)
    grr_pct, expansion_pct, b1_units, growth_pct, years = position
    # 1. GRR never above NRR, in the sliders and in the words under the chart
    line1 = next(t for t in seen["texts"] if t.startswith("NRR "))
    nrr_shown, grr_shown = (float(x) for x in re.findall(r"(\d+\.\d)%", line1)[:2])
    assert grr_shown <= nrr_shown
    shown = dict(re.match(r"(.*?)\s*(-?[\d.]+)$", s.strip()).groups() for s in seen["sliders"])
    assert float(shown["GRR, % of the base kept a year"]) == grr_pct
    # 2. every figure formatted: no whole number of five digits or more without separators
    everything = " ".join(seen["texts"] + seen["sliders"] + seen["aria"])
    raw = re.search(r"(?<![\d.,])\d{5,}", everything)
    assert raw is None, everything[max(raw.start() - 40, 0):raw.end() + 10]
    # 3. the words agree with the package's projection at this position
    params, survival = params
    model = cs.RevenueBase(starting_arr=params.starting_arr, new_bookings=b1_units * 1e6,
                           bookings_growth=growth_pct / 100, nrr=(grr_pct + expansion_pct) / 100,
                           grr=grr_pct / 100, years=years, new_survival=survival[:years + 1])
    table = cs.project_revenue(model)
    arr, prev = table.loc[years, "arr"], table.loc[years - 1, "arr"]
    base_change = (model.nrr - 1) * model.starting_arr * model.nrr ** (years - 1)
    words = " ".join(t for t in seen["texts"] if t.startswith(("Year ", "new business")))
    verb = "grow by" if base_change > 0.5 else "lose" if base_change < -0.5 else "stay level"
    assert f"Year {years}: today's customers {verb}" in words, words
    trend = "grows" if arr - prev > 0.5 else "falls" if arr - prev < -0.5 else "stays level"
    assert f"so ARR {trend} to USD" in words, words
    figures = [money(x) for x in re.findall(r"USD ([\d,]+)", words)]
    expected = ([abs(base_change)] if verb != "stay level" else []) + [
        table.loc[years, "cohorts_kept"],
        model.new_bookings * (1 + model.bookings_growth) ** (years - 1), arr]
    assert figures == pytest.approx(expected, abs=1.0)
    # 4. the chapter's prose: with NRR below 100% the blue and green part of each bar is
    # lower than the blue and green part of the bar before (today's ARR for the first year)
    parts: dict[int, float] = {}
    for label in seen["aria"]:
        m = re.search(r"Year: (\d+); Part: (Today's customers kept|Expansion of today's "
                      r"customers); Amount \(USD\): ([\d,.]+)", label)
        if m:
            parts[int(m[1])] = parts.get(int(m[1]), 0.0) + money(m[3])
    assert sorted(parts) == list(range(1, years + 1))
    for year, base in parts.items():
        assert base == pytest.approx(model.starting_arr * model.nrr ** year, abs=2.0)
        before = parts.get(year - 1, model.starting_arr)
        assert (base < before) if model.nrr < 1 else (base >= before - 2.0)


def test_the_prose_promises_what_the_explorer_does():
    nb = nbformat.read(ROOT / "chapters" / "functions.ipynb", as_version=4)
    text = next(c.source for c in nb.cells if "### Try it" in c.source)
    prose = " ".join(text.split("### Try it", 1)[1].split())
    assert "watch the base shrink" not in prose
    assert "NRR is GRR plus expansion, so it never falls below GRR" in prose
    assert ("With NRR below 100%, the blue and green part of each bar is lower than the "
            "blue and green part of the bar before") in prose
    assert "new customers renewing as the fitted cohort model says" in prose


def test_a_hostile_currency_is_shown_as_text(browser, tmp_path):
    """The currency comes from the reader's profile: it reaches the words as data."""
    currency = "</script><img src=x onerror=alert(1)>' + 1 + '"
    page, _, errors = open_explorer(browser, tmp_path, currency)
    texts = page.eval_on_selector_all("svg.marks text", "ts => ts.map(t => t.textContent)")
    assert any(t.startswith(f"new business adds {currency} ") for t in texts), texts
    assert page.locator("img").count() == 0 and errors == []
    page.close()
