"""Run a chapter's code cells in this process, as papermill would, and read its page.

Much faster than a kernel per run: the chapter's imports cell runs once per
namespace, the ``parameters`` cell is followed by the injected values, and
``display``/``glue``/the last expression of each cell are captured as outputs
(with the metadata myst-nb gives them), so :func:`csmodels.needs.prune_notebook`
and the page check see what a rerun would.
"""

from __future__ import annotations

import ast
import math
import os
import re
from contextlib import contextmanager
from pathlib import Path

import altair as alt
import nbformat
import pandas as pd

from csmodels import needs

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"
GLUE = re.compile(r"\{glue(?::text)?\}`([^`]+)`")
BAD = [(re.compile(r"\bn/a\b"), "n/a"), (re.compile(r"\bnan\b", re.I), "NaN"),
       (re.compile(r"\binf\b"), "inf"),
       (re.compile(r"Traceback|Error:"), "a traceback or error")]


@contextmanager
def _cwd(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def _output(value, metadata=None) -> nbformat.NotebookNode:
    """One display_data output of ``value``, keeping the object itself for the checks."""
    out = nbformat.v4.new_output("display_data", data={"text/plain": repr(value)},
                                 metadata=metadata or {})
    out["object"] = value
    return out


def execute(name: str, **parameters) -> nbformat.NotebookNode:
    """The chapter ``name`` executed in-process with ``parameters``; outputs on each cell."""
    nb = nbformat.read(CHAPTERS / f"{name}.ipynb", as_version=4)
    space: dict = {"__name__": "__main__"}
    current: list = []

    def display(*values, metadata=None, **_):
        current.extend(_output(v, metadata) for v in values)

    def glue(key, value, display=True):
        meta = {"scrapbook": {"name": key, "mime_prefix": ""}}
        out = nbformat.v4.new_output("display_data", data={"text/plain": repr(value)},
                                     metadata=meta)
        out["object"] = value
        current.append(out)

    with _cwd(CHAPTERS):
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            current = cell["outputs"] = []
            tree = ast.parse(cell.source)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, f"<{name} cell {i}>", "exec"), space)
            if i == 1:  # the imports cell: capture what the chapter displays and glues
                space.update(display=display, glue=glue)
            if "parameters" in cell.metadata.get("tags", []):
                space.update(parameters)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), f"<{name} cell {i}>",
                                     "eval"), space)
                if value is not None:
                    current.append(_output(value))
    return nb


def glued(nb) -> dict:
    return {out.metadata["scrapbook"]["name"]: out["object"]
            for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
            if "scrapbook" in out.get("metadata", {})}


def page_problems(nb) -> list[str]:
    """What a reader must never see on the pruned page: unglued keys, NaN, "n/a",
    tracebacks, empty charts, empty tables."""
    nb = needs.prune_notebook(nb)
    values, problems = glued(nb), []
    for i, cell in enumerate(nb.cells):
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "markdown":
            text = cell.source
            for key in GLUE.findall(text):
                if key not in values:
                    problems.append(f"cell {i}: glue key {key!r} was not glued")
            text = GLUE.sub(lambda m: str(values.get(m.group(1), "")), text)
            problems += [f"cell {i}: {what} in {_around(text, rx)!r}" for rx, what in BAD
                         if rx.search(text)]
        elif "remove-cell" not in tags and "remove-output" not in tags:
            for out in cell.outputs:
                if "scrapbook" not in out.get("metadata", {}):
                    problems += [f"cell {i}: {p}" for p in _object_problems(out["object"])]
    return problems


def _around(text: str, rx) -> str:
    m = rx.search(text)
    return text[max(0, m.start() - 60):m.end() + 60]


def _object_problems(obj) -> list[str]:
    if isinstance(obj, alt.TopLevelMixin):
        return _spec_problems(obj.to_dict(validate=False))
    if isinstance(obj, pd.DataFrame):
        text = obj.to_string()
        return (["an empty table"] if obj.empty else
                [f"{what} in a table" for rx, what in BAD if rx.search(text)])
    text = getattr(obj, "data", None) or str(obj)
    if hasattr(obj, "data") and "<table" in str(text) and "<td" not in str(text):
        return ["an empty table"]
    return [f"{what} in an output: {_around(str(text), rx)!r}" for rx, what in BAD
            if rx.search(re.sub(r"<[^>]+>", " ", str(text)))]


def _spec_problems(spec: dict) -> list[str]:
    """A Vega-Lite spec whose data are empty, or whose values hold NaN."""
    problems, datasets = [], spec.get("datasets", {})
    sources = [part["data"] for part in _walk(spec) if isinstance(part.get("data"), dict)]
    for source in sources:
        values = source.get("values")
        if values is None and "name" in source:
            values = datasets.get(source["name"])
        if values is not None and len(values) == 0:
            problems.append("an empty chart")
    for rows in datasets.values():
        for row in rows:
            if any(isinstance(v, float) and not math.isfinite(v) for v in row.values()):
                problems.append("a chart with NaN values")
                break
    return problems


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
