"""The book's pages read as a finished book: words instead of codes, one style for tables
and charts, and nothing cut or overflowing on a desktop or a phone.

The quick tests check the style in the package; the browser tests (slow) open every page
of the built site, and of the site ``csmodels rerun`` builds for a reader's company, at
1400 and 390 px wide and report every problem :mod:`layout_probe` finds
(``python tests/layout_probe.py SITE SHOTS`` shows them by hand).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from csmodels import charts, collaboration, maturity
from csmodels.book import table
from csmodels.charts import chart_html
from csmodels.style import BLANK, SMALL_PX, display_names, words


def _spec(chart) -> dict:
    html = chart_html(chart.to_dict())
    payload = re.search(r'<script type="application/json" class="csmodels-spec">(.*?)</script>',
                        html).group(1)
    return json.loads(payload)["spec"]


def _cells(html: str) -> list[tuple[str, str, str]]:
    """(tag, class, text) of every header and cell of a table's HTML."""
    return re.findall(r'<(th|td) class="(\w+)">(.*?)</\1>', html)


# ------------------------------------------------------------------------------- tables


def test_table_aligns_text_left_and_numbers_right_with_their_headers():
    frame = pd.DataFrame({"Company": ["Acme", "Beta"], "ARR": [1_250_000.0, 980.5],
                          "NRR": ["104.2%", "n/a"], "Accounts": [12, 3]})
    cells = _cells(table(frame, formats={"ARR": "money"}, currency="EUR").data)
    kinds = {}
    for tag, kind, text in cells:
        kinds.setdefault(kind, set()).add(text)
        assert tag in ("th", "td")
    assert {"Company", "Acme", "Beta"} <= kinds["text"]
    assert {"ARR", "EUR 1.2M", "EUR 980", "NRR", "104.2%", "n/a", "Accounts", "12"} <= kinds["num"]
    headers = [(kind, text) for tag, kind, text in cells if tag == "th"]
    assert headers == [("text", "Company"), ("num", "ARR"), ("num", "NRR"), ("num", "Accounts")]


def test_table_shows_words_not_codes_and_no_blank_cell():
    matrix = collaboration.raci("cs-renewals-sales-expansion")
    html = table(matrix.rename_axis("Activity").reset_index()).data
    texts = [text for _, _, text in _cells(html)]
    assert "First 90 days" in texts and "Account executive" in texts and "CS leader" in texts
    assert not set(texts) & set(display_names()), set(texts) & set(display_names())
    blank = table(pd.DataFrame({"a": ["x", None, " "], "b": [1.0, float("nan"), 2.0],
                                "c": pd.array([1, pd.NA, 3], dtype="Int64"),
                                "d": [pd.Timestamp("2025-01-01"), pd.NaT, pd.NaT]})).data
    assert [text for _, _, text in _cells(blank)].count(BLANK) == 6
    assert "<td" in blank and re.search(r"<td[^>]*></td>", blank) is None


def test_table_escapes_a_name_from_the_data():
    html = table(pd.DataFrame({"name": ["<script>x</script>", "{{7*7}}"]})).data
    assert "<script>x" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


def test_display_names_are_words_for_every_code_the_charts_and_tables_use():
    names = display_names()
    used = set(collaboration.raci("revenue-pod").columns) | set(
        collaboration.raci("expansion-reps").columns) | set(collaboration.ACTIVITIES)
    used |= set(collaboration.self_assessment({})["practice_id"])
    grid = maturity.recommendation_map()
    for column in ("segment", "cs_leader", "reports_to", "renewal_owner", "expansion_owner",
                   "funding_stage"):
        used |= set(grid[column])
    missing = sorted(code for code in used if code not in names)
    assert missing == []
    assert all(re.fullmatch(r"[a-z0-9-]+", code) for code in names)
    assert all(label != code for code, label in names.items())
    assert words("a name nobody coded") == "a name nobody coded"


# ------------------------------------------------------------------------------- charts


def _all_charts():
    """One of each chart the chapters draw, on small made-up inputs."""
    pay = pd.DataFrame({"model": ["CS owns renewals, Sales owns expansion"] * 2,
                        "team": ["cs", "sales"], "pay": [1000.0, 2000.0]})
    yield "pay", charts.pay_by_model_chart(pay)
    yield "self", charts.self_assessment_chart(collaboration.self_assessment({}))
    yield "map", charts.recommendation_map_chart(maturity.recommendation_map())


def test_every_chart_gets_the_book_style_and_fills_the_column():
    for name, chart in _all_charts():
        spec = _spec(chart)
        config = spec["config"]
        assert config["axis"]["labelFontSize"] >= SMALL_PX, name
        assert config["legend"]["labelFontSize"] >= SMALL_PX, name
        assert config["axis"]["labelLimit"] >= 200 and config["legend"]["labelLimit"] >= 200
        if name == "map":  # a map keeps the width its cells need, and scrolls on a phone
            assert isinstance(spec["width"], int) and 'class="csmodels-chart csmodels-wide"' \
                in chart_html(chart.to_dict())
        else:
            assert spec["width"] == "container", name
            assert 'class="csmodels-chart"' in chart_html(chart.to_dict())
        sizes = re.findall(r'"fontSize": (\d+(?:\.\d+)?)', json.dumps(spec))
        assert sizes and min(float(s) for s in sizes) >= SMALL_PX, (name, sizes)


def test_chart_labels_are_words():
    texts = {}
    for name, chart in _all_charts():
        texts[name] = json.dumps(_spec(chart), ensure_ascii=False)
    assert '"Customer Success"' in texts["pay"] and '"cs"' not in texts["pay"]
    assert '"Documented handoff"' in texts["self"]
    assert '"documented-handoff"' not in texts["self"]
    assert '"Head of CS"' in texts["map"] and '"Startup, high touch"' in texts["map"]


def test_long_chart_titles_wrap_and_tooltips_keep_theirs():
    spec = _spec(charts.self_assessment_chart(collaboration.self_assessment({})))
    assert spec["encoding"]["x"]["title"] == ["0 not in place, 1 partly, 2", "in place"]
    assert all(isinstance(t["title"], str) for t in spec["encoding"]["tooltip"])


# ------------------------------------------------------------------------ the built site


@pytest.mark.slow
@pytest.mark.browser
def test_no_page_cuts_or_overflows_at_desktop_or_phone_width(site, server, browser):
    from layout_probe import WIDTHS, pages, probe

    names = pages(site)
    assert "chapters/collaboration.html" in names and "appendix/scale.html" in names
    problems = [f"{name} at {width} px: {problem}"
                for name in names for width in WIDTHS
                for problem in probe(browser, f"{server}/{name}", width)]
    assert problems == [], "\n".join(problems[:40])


@pytest.fixture(scope="module")
def rerun_site(tmp_path_factory, root) -> Path:
    """The site ``csmodels rerun`` builds for a reader's company (the messy export): its
    pages add the provenance block and show that company's own names and numbers. Run as
    a reader runs it, in a process of its own (Playwright's loop may be open here)."""
    out = tmp_path_factory.mktemp("rerun") / "out"
    done = subprocess.run([sys.executable, "-m", "csmodels", "rerun", "metrics", "--data",
                           str(root / "data" / "messy_export"), "--out", str(out)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    return out / "html"


@pytest.mark.slow
@pytest.mark.browser
def test_no_rerun_page_cuts_or_overflows_at_desktop_or_phone_width(rerun_site, browser):
    from layout_probe import WIDTHS, pages, probe

    names = pages(rerun_site)
    assert "chapters/metrics.html" in names
    page = (rerun_site / "chapters" / "metrics.html").read_text(encoding="utf-8")
    assert "csmodels-provenance" in page and 'class="csmodels-chart' in page
    problems = [f"{name} at {width} px: {problem}"
                for name in names for width in WIDTHS
                for problem in probe(browser, (rerun_site / name).as_uri(), width)]
    assert problems == [], "\n".join(problems[:40])


@pytest.mark.slow
def test_execution_report_says_ran_and_aligns_its_run_times(site):
    text = (site / "appendix" / "execution.html").read_text(encoding="utf-8")
    assert "\N{WHITE HEAVY CHECK MARK}" not in text and "\N{CROSS MARK}" not in text
    statuses = re.findall(r"<td[^>]*><p>(ran|failed)</p></td>", text)
    assert len(statuses) >= 5 and set(statuses) == {"ran"}
    assert '<th class="head num"><p>Run Time (s)</p></th>' in text
    times = re.findall(r'<td class="num"><p>([\d.]+)</p></td>', text)
    assert len(times) == len(statuses)
