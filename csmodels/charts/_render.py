"""The renderer that lets the book's Altair charts draw offline.

Altair's own HTML output loads vega, vega-lite and vega-embed from a CDN and puts
the chart's data inside an inline script. The ``csmodels`` renderer instead
writes the specification as inert JSON (``<script type="application/json">``,
with ``<``, ``>`` and ``&`` escaped so no string in a reader's data can close the
tag) inside a ``div.csmodels-chart``; the page script that
:mod:`csmodels.sphinxext` adds to the site embeds every such div from one local
bundle.
"""

from __future__ import annotations

import hashlib
import html
import json

import altair as alt

WIDTH = 640  # a chart's drawn width where it cannot follow the column (a concatenation)
EMBED_OPTIONS = {"actions": {"export": True, "source": False, "compiled": False,
                             "editor": False}, "renderer": "svg"}


def chart_html(spec: dict) -> str:
    """The HTML the book's pages carry for one chart: a div holding inert JSON.

    >>> out = chart_html({"title": "</script><script>alert(1)</script>"})
    >>> "</script><script>" in out
    False
    """
    spec = _styled(_plain_titles(spec))
    payload = json.dumps({"spec": spec, "options": EMBED_OPTIONS}, sort_keys=True,
                         ensure_ascii=False, allow_nan=False)
    payload = (payload.replace("&", "\\u0026").replace("<", "\\u003c")
               .replace(">", "\\u003e").replace("\u2028", "\\u2028")
               .replace("\u2029", "\\u2029"))
    chart_id = "csmodels-" + hashlib.sha256(payload.encode()).hexdigest()[:12]
    title = spec.get("description", "chart")
    wide = "" if spec.get("width") == "container" else " csmodels-wide"
    return (
        f'<div class="csmodels-chart{wide}" id="{chart_id}">'
        f'<script type="application/json" class="csmodels-spec">{payload}</script>'
        f'<p class="csmodels-chart-fallback">[{html.escape(str(title))}: this chart is drawn '
        "by the book's page script.]</p></div>"
    )


_COMPOUND = ("hconcat", "vconcat", "concat", "facet", "repeat")


def _styled(spec: dict) -> dict:
    """``spec`` in the book's style (:func:`csmodels.style.chart_config`, under the chart's
    own settings) and, unless it is a concatenation or asks to keep its width
    (``usermeta={"fixed_width": True}``, a map whose cells need room), as wide as the text
    column (``width: "container"``), so it fits a phone's screen as well as a desktop's. A
    chart of fixed width scrolls sideways where the column is narrower.

    >>> out = _styled({"mark": "bar", "width": 300, "config": {"view": {"continuousWidth": 300}}})
    >>> out["width"], out["autosize"]["type"], out["config"]["axis"]["labelFontSize"] >= 12
    ('container', 'fit-x', True)
    """
    from ..style import chart_config

    spec = _wrapped_titles(dict(spec))
    config = chart_config()
    own = {key: value for key, value in spec.get("config", {}).items() if key != "view"}
    for key, value in own.items():
        config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
    spec["config"] = config
    fixed = spec.get("usermeta", {}).get("fixed_width", False)
    if (isinstance(spec.get("width"), int | float) and not fixed
            and not any(k in spec for k in _COMPOUND)):
        spec["width"] = "container"
        spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    return spec


def _wrapped_titles(node, in_tooltip: bool = False, chars: int | None = None):
    """``node`` with every long title but a tooltip's as lines (:func:`csmodels.style.wrap`),
    an axis or legend title (under ``encoding``) sooner than a chart's.

    >>> _wrapped_titles({"title": "x" * 10, "tooltip": [{"title": "Share of random weightings"}]})
    {'title': 'xxxxxxxxxx', 'tooltip': [{'title': 'Share of random weightings'}]}
    """
    from ..style import AXIS_TITLE_CHARS, TITLE_CHARS, wrap

    chars = chars or TITLE_CHARS
    if isinstance(node, list):
        return [_wrapped_titles(item, in_tooltip, chars) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str) and not in_tooltip:
            out[key] = wrap(value, chars)
        elif key == "title" and isinstance(value, dict) and isinstance(value.get("text"), str):
            out[key] = {**value, "text": wrap(value["text"], chars)}
        else:
            out[key] = _wrapped_titles(value, in_tooltip or key == "tooltip",
                                       AXIS_TITLE_CHARS if key == "encoding" else chars)
    return out


def _plain_titles(node, in_title: bool = False):
    r"""``node`` with every title's line breaks and control characters written as escapes
    (:func:`csmodels.book.visible`). Vega-Lite copies a field's title into a Vega
    expression (the tooltip, the ARIA description) quoting ``"`` but not line breaks, so
    a title from the reader's data (a currency, a name) holding one stops the chart.

    >>> _plain_titles({"encoding": {"y": {"field": "a\nb", "title": "ARR (US\nD)"}}})
    {'encoding': {'y': {'field': 'a\nb', 'title': 'ARR (US\\nD)'}}}
    """
    from ..book import visible

    if isinstance(node, str):
        return visible(node) if in_title else node
    if isinstance(node, list):
        return [_plain_titles(item, in_title) for item in node]
    if isinstance(node, dict):
        return {key: _plain_titles(value, in_title or key == "title")
                for key, value in node.items()}
    return node


def _render(spec: dict, **_: object) -> dict:
    return {"text/html": chart_html(spec)}


def enable_renderer() -> None:
    """Make Altair render through :func:`chart_html` (call once per notebook)."""
    if "csmodels" not in alt.renderers.names():
        alt.renderers.register("csmodels", _render)
    alt.renderers.enable("csmodels")


