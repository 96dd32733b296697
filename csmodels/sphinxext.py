"""A Sphinx extension that makes the book work with no network.

* **Charts.** It writes one script into the site's ``_static``: the vega,
  vega-lite and vega-embed libraries bundled by vl-convert (from PyPI, no CDN),
  followed by a small loader that embeds every ``div.csmodels-chart`` written by
  :func:`csmodels.charts.chart_html`. One concatenated file, because separate
  files may load in any order. The bundle takes about 2 s to make, so it is
  cached beside the build output, keyed on the library versions.
* **Citations.** It sets up :mod:`csmodels.sphinx_claims`: the ``{claim}`` and
  ``{booksown}`` roles, the ``{booksown}`` and ``{claims-register}`` directives, and
  the checks that stop the build on a citation the claims register does not hold.
* **Style.** It writes the book's stylesheet for tables and charts,
  :data:`csmodels.style.TABLE_CSS`, into ``_static`` and loads it on every page, and
  writes the execution report's status as words ("ran", "failed") where myst-nb puts
  emoji that need a special font; in tables written in Markdown, a column of figures is
  right-aligned like the chapters' tables.
* **Maths.** Sphinx loads MathJax from a CDN by default. The extension copies
  MathJax 3 (from the PyPI package ``django-static-mathjax``, which has no
  dependencies) into ``_static/mathjax`` and points ``mathjax_path`` at it.
"""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

import altair as alt
import vl_convert as vlc
from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

SCRIPT = "csmodels-charts.js"
STYLESHEET = "csmodels.css"
STATUS_WORDS = {"\N{WHITE HEAVY CHECK MARK}": "ran", "\N{CROSS MARK}": "failed"}

# Runs after the libraries: embeds each chart once, from its inert JSON.
LOADER = r"""
(function () {
  "use strict";
  function embed(div) {
    if (div.getAttribute("data-embedded")) { return; }
    div.setAttribute("data-embedded", "pending");
    var holder = div.querySelector("script.csmodels-spec");
    var payload = JSON.parse(holder.textContent);
    var target = document.createElement("div");
    div.appendChild(target);
    window.vegaEmbed(target, payload.spec, payload.options).then(function () {
      var fallback = div.querySelector(".csmodels-chart-fallback");
      if (fallback) { fallback.remove(); }
      div.setAttribute("data-embedded", "done");
    }).catch(function (err) {
      div.setAttribute("data-embedded", "failed");
      var note = document.createElement("p");
      note.className = "csmodels-chart-error";
      note.textContent = "This chart could not be drawn: " + err;
      div.appendChild(note);
    });
  }
  function embedAll() {
    document.querySelectorAll("div.csmodels-chart").forEach(embed);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", embedAll);
  } else {
    embedAll();
  }
})();
"""


def vega_lite_version() -> str:
    """The Vega-Lite version Altair writes specs for, as vl-convert names it (``v6.4``)."""
    major, minor = alt.SCHEMA_VERSION.lstrip("v").split(".")[:2]
    return f"v{major}.{minor}"


def write_script(folder: Path) -> Path:
    """Write (or reuse) the bundle + loader into ``folder``; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    version = vega_lite_version()
    tag = f"vl-convert {vlc.__version__}, vega-lite {version}, altair {alt.__version__}"
    path = folder / SCRIPT
    if path.exists() and path.read_text(encoding="utf-8").startswith(f"/* {tag} */"):
        return path
    bundle = vlc.javascript_bundle(vl_version=version)
    # The bundle declares top-level constants; a function scope keeps them private.
    text = f"/* {tag} */\n(function () {{\n{bundle}\n}})();\n{LOADER}"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


MATHJAX_PARTS = ("tex-mml-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions", "ui")


def write_mathjax(folder: Path) -> str:
    """Copy the parts of MathJax 3 a page needs into ``folder/mathjax``; return the
    script's path relative to ``_static``."""
    source = Path(str(files("mathjax").joinpath("static/mathjax/es5")))
    target = folder / "mathjax"
    if not (target / MATHJAX_PARTS[0]).exists():
        for part in MATHJAX_PARTS:
            src, dst = source / part, target / part
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True)
            else:
                shutil.copy2(src, dst)
    return f"mathjax/{MATHJAX_PARTS[0]}"


def write_stylesheet(folder: Path) -> Path:
    """Write the book's stylesheet (:data:`csmodels.style.TABLE_CSS`) into ``folder``."""
    from .style import TABLE_CSS

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / STYLESHEET
    if not path.exists() or path.read_text(encoding="utf-8") != TABLE_CSS:
        path.write_text(TABLE_CSS, encoding="utf-8")
    return path


class StatusInWords(SphinxPostTransform):
    """The execution report's status column as words: myst-nb writes U+2705 and U+274C,
    which show as empty boxes where no emoji font is installed."""

    default_priority = 20  # after myst-nb fills the report in (priority 8)

    def run(self, **kwargs) -> None:
        for text in list(self.document.findall(nodes.Text)):
            word = STATUS_WORDS.get(text.astext().strip())
            if word is not None:
                text.parent.replace(text, nodes.Text(word))


class NumbersRight(SphinxPostTransform):
    """In the tables written in Markdown or by myst-nb (the execution report), a column
    whose every cell is a figure gets the class ``num``: right-aligned, header too, as in
    the chapters' tables (:func:`csmodels.book.table`)."""

    default_priority = 21

    def run(self, **kwargs) -> None:
        from .book import _FIGURE

        for group in self.document.findall(nodes.tgroup):
            rows = [list(row.children) for body in group.findall(nodes.tbody)
                    for row in body.children]
            heads = [list(row.children) for head in group.findall(nodes.thead)
                     for row in head.children]
            for column in range(max((len(r) for r in rows), default=0)):
                cells = [r[column] for r in rows if column < len(r)]
                texts = [c.astext().strip() for c in cells]
                if texts and all(_FIGURE.fullmatch(t) for t in texts):
                    for cell in cells + [h[column] for h in heads if column < len(h)]:
                        cell["classes"].append("num")


def _add_static(app, config) -> None:
    folder = Path(app.outdir).parent / ".csmodels_static"
    write_script(folder)
    write_stylesheet(folder)
    config.mathjax_path = write_mathjax(folder)
    config.html_static_path.append(str(folder))


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    """sphinx-thebe 0.3 adds its inline config script twice under Sphinx 7; the second
    copy re-declares a constant, a script error on every page. Keep the first of each."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # inline scripts have filename None or "" depending on who added them
        name = getattr(script, "filename", script) or ""
        key = (str(name), tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    from . import __version__

    app.setup_extension("csmodels.sphinx_claims")
    app.connect("config-inited", _add_static)
    # late (priority 900), after the extensions that add the copies
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    app.add_js_file(SCRIPT)
    app.add_css_file(STYLESHEET)
    app.add_post_transform(StatusInWords)
    app.add_post_transform(NumbersRight)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
