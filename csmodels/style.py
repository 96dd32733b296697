"""The book's look, in one place: what readers see instead of internal codes, and the
style every table and chart on the site follows.

* **Words, not codes.** The package's tables name things by short codes
  (``head-of-cs``, ``first-90-days``); ``csmodels/data/display_names.csv`` gives the words
  a reader sees for each, and :func:`words` applies them. :func:`csmodels.book.table` and
  the charts call it on what they show.
* **Tables.** :data:`TABLE_CSS` is the stylesheet the site loads
  (:mod:`csmodels.sphinxext` writes it into ``_static``): text left-aligned, numbers
  right-aligned under headers aligned the same way, :data:`TEXT_PX` text, and a wide table
  scrolls inside its own box instead of pushing the page sideways.
* **Charts.** :func:`chart_config` is the Vega-Lite configuration every chart gets
  (:func:`csmodels.charts.chart_html` adds it): no text under :data:`SMALL_PX`, long titles
  and labels wrapped onto lines rather than shortened, and a chart as wide as the text
  column at any window width.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from ._tables import package_table

TEXT_PX = 14  # body text of tables
SMALL_PX = 12  # the smallest text anywhere: tick labels, legends, notes under tables
TITLE_PX = 15  # chart titles
FONT = ("system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, "
        "'Liberation Sans', sans-serif")
BLANK = "not stated"  # what an empty cell says
TITLE_CHARS = 32  # a chart title longer than this wraps (about 260 px at 15 px)
AXIS_TITLE_CHARS = 28  # an axis or legend title wraps sooner: it spans the plot alone
LABEL_CHARS = 22  # a category label longer than this wraps onto a second line
LABEL_PX = 220  # an axis label never takes more (22 characters at 12 px take about 150)
LEGEND_PX = 300  # nor a legend's, listed under the chart on a 390 px phone


@cache
def display_names() -> dict[str, str]:
    """Internal code -> the words a reader sees (``csmodels/data/display_names.csv``).

    >>> display_names()["head-of-cs"]
    'Head of CS'
    """
    frame = package_table("display_names", text=True)
    return dict(zip(frame["code"], frame["label"], strict=True))


def words(value):
    """``value`` in words: a known code becomes its display name; anything else, a
    Series or a list, is mapped item by item and left as it is when not a code.

    >>> words("first-90-days"), words("A name from the data"), words(["ae", 3])
    ('First 90 days', 'A name from the data', ['Account executive', 3])
    """
    if isinstance(value, pd.Series):
        return value.map(words)
    if isinstance(value, list | tuple):
        return type(value)(words(item) for item in value)
    if isinstance(value, str):
        return display_names().get(value, value)
    return value


def wrap(text: str, chars: int = TITLE_CHARS) -> str | list[str]:
    """``text`` as lines of at most ``chars`` characters (Vega draws a list as lines), so a
    long title fits a phone's screen instead of running off the chart.

    >>> wrap("Short"), wrap("Quota pressure on CSMs (0 none, 1 paid mostly on quota)")
    ('Short', ['Quota pressure on CSMs (0 none,', '1 paid mostly on quota)'])
    """
    import textwrap

    lines = textwrap.wrap(text, chars, break_on_hyphens=False)
    return text if len(lines) <= 1 else lines


def wrapped_labels(values, chars: int = LABEL_CHARS) -> str:
    """A Vega ``labelExpr`` that draws each long category label on two or more lines.

    >>> expr = wrapped_labels(["CS owns renewals, Sales owns expansion", "Short"])
    >>> '["CS owns renewals,", "Sales owns expansion"]' in expr
    True
    >>> "Short" in expr, expr.endswith("[datum.label] || datum.label")
    (False, True)
    """
    import json

    lines = {str(v): wrap(str(v), chars) for v in values}
    lines = {k: v for k, v in lines.items() if isinstance(v, list)}
    return f"({json.dumps(lines, ensure_ascii=False)})[datum.label] || datum.label"


def chart_config() -> dict:
    """The Vega-Lite ``config`` of every chart in the book.

    >>> chart_config()["axis"]["labelFontSize"] >= SMALL_PX
    True
    """
    # the book's own labels wrap (:func:`wrapped_labels`) well inside these limits; a very
    # long one from a reader's data is shortened rather than squeezing the plot to nothing
    axis = {"labelFontSize": SMALL_PX, "titleFontSize": SMALL_PX + 1, "labelLimit": LABEL_PX,
            "titleLimit": 0, "labelFont": FONT, "titleFont": FONT}
    return {
        "font": FONT,
        "axis": axis,
        # an x-axis title ends at the plot's right edge and runs left over the labels, so a
        # long one stays inside a narrow chart
        "axisX": {"titleAnchor": "end", "titleAlign": "right"},
        # a legend under a chart lists its entries one under the other: a row of them
        # would run off a phone's screen
        "legend": {"labelFontSize": SMALL_PX, "titleFontSize": SMALL_PX + 1,
                   "labelLimit": LEGEND_PX,
                   "titleLimit": 0, "symbolSize": 120, "labelFont": FONT,
                   "titleFont": FONT, "direction": "vertical"},
        "header": {"labelFontSize": SMALL_PX, "titleFontSize": SMALL_PX + 1},
        "title": {"fontSize": TITLE_PX, "anchor": "start", "limit": 0, "font": FONT},
        "text": {"fontSize": SMALL_PX, "font": FONT},
        "view": {"stroke": None},
    }


TABLE_CSS = f"""
/* The book's tables and charts (csmodels/style.py). */
div.csmodels-table-wrap {{ overflow-x: auto; max-width: 100%; margin: 0.5em 0 1.25em; }}
table.csmodels-table {{ border-collapse: collapse; font-size: {TEXT_PX}px; line-height: 1.4;
  width: auto; max-width: none; margin: 0; }}
table.csmodels-table th, table.csmodels-table td {{ padding: 0.35em 0.75em; vertical-align: top;
  border-bottom: 1px solid var(--pst-color-border, #ccc); text-align: left; }}
table.csmodels-table th {{ font-weight: 600; border-bottom-width: 2px; }}
table.csmodels-table td.text {{ min-width: 7em; max-width: 32em; }}
table.csmodels-table th.num, table.csmodels-table td.num {{ text-align: right;
  font-variant-numeric: tabular-nums; white-space: nowrap; }}
/* tables written by other tools (pandas, the execution report): same alignment, and a wide one
   scrolls in its own box */
.cell_output .output.text_html {{ overflow-x: auto; max-width: 100%; }}
article table th {{ text-align: left; }}
article table th.num, article table td.num {{ text-align: right;
  font-variant-numeric: tabular-nums; }}
article table td, article table th {{ font-size: max(1em, {SMALL_PX}px); }}
/* charts fill the text column; a chart wider than a phone's screen shrinks to fit */
div.csmodels-chart {{ width: 100%; max-width: 100%; margin: 0.5em 0 1.25em; }}
div.csmodels-chart .vega-embed {{ width: 100%; max-width: 100%; }}
/* a chart of fixed width (a map, side-by-side panels) scrolls sideways on a phone */
div.csmodels-chart.csmodels-wide {{ overflow-x: auto; }}
div.csmodels-chart.csmodels-wide .vega-embed {{ width: max-content; max-width: none; }}
div.csmodels-chart .vega-bindings {{ display: flex; flex-wrap: wrap; gap: 0.25em 1em;
  font-size: {TEXT_PX}px; max-width: 100%; }}
div.csmodels-chart .vega-bind {{ max-width: 100%; }}
div.csmodels-chart .vega-bind label {{ display: inline-flex; flex-wrap: wrap; align-items: center;
  gap: 0.25em; max-width: 100%; }}
div.csmodels-chart .vega-bind input[type=range] {{ max-width: 60vw; }}
#vg-tooltip-element {{ font-size: {SMALL_PX}px; }}
#vg-tooltip-element td.value {{ white-space: normal; }}
/* code: long lines wrap instead of running off the page */
article pre {{ white-space: pre-wrap; overflow-wrap: anywhere; }}
article code.literal {{ overflow-wrap: anywhere; }}
article code.literal span.pre {{ white-space: pre-wrap; }}
.bd-sidebar-primary nav.bd-links {{ margin-right: 0; }}
/* display maths wider than a phone scrolls in its own box */
article mjx-container[display="true"] {{ overflow-x: auto; overflow-y: hidden; max-width: 100%; }}
/* one search box: the header's (the sidebar repeats it at desktop widths) */
@media (min-width: 960px) {{
  .bd-sidebar-primary .sidebar-primary-items__start .search-button-field {{ display: none; }}
}}
"""
