"""The teaching kit: objectives and exercises in every chapter, glossary links that
resolve, and a student edition with no solutions in it."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TERM = re.compile(r"\{term\}`(?:[^`<]*<([^>`]+)>|([^`]+))`")


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [c["file"] for part in toc["parts"] for c in part["chapters"]]


def chapters() -> list[Path]:
    return [ROOT / f"{f}.ipynb" for f in toc_files() if f.startswith("chapters/")]


def markdown_of(path: Path) -> str:
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return path.read_text(encoding="utf-8")


def glossary_terms() -> set[str]:
    text = (ROOT / "glossary.md").read_text(encoding="utf-8")
    block = text.split("```{glossary}", 1)[1].split("\n```", 1)[0]
    return {line.strip().lower() for line in block.splitlines()
            if line.strip() and not line.startswith((" ", "\t"))}


def test_the_glossary_defines_the_fields_terms():
    assert {"arr", "nrr", "grr", "cco", "cro", "coo", "qbr", "ttv", "plg", "acv", "csm",
            "health score"} <= glossary_terms()


def test_every_term_used_resolves_to_the_glossary():
    pages = [ROOT / (f + (".ipynb" if (ROOT / f"{f}.ipynb").exists() else ".md"))
             for f in toc_files()]
    used = {(page.name, (a or b).strip().lower()) for page in pages
            for a, b in TERM.findall(markdown_of(page))}
    assert used, "no chapter links a glossary term"
    assert {term for _, term in used} <= glossary_terms(), sorted(
        (p, t) for p, t in used if t not in glossary_terms())


@pytest.mark.parametrize("chapter", chapters(), ids=lambda p: p.stem)
def test_each_chapter_teaches(chapter):
    text = markdown_of(chapter)
    first = nbformat.read(chapter, as_version=4).cells[0].source
    assert "Learning objectives" in first
    exercises = re.findall(r"\{exercise\}", text)
    solutions = re.findall(r"\{solution(?:-start)?\} ", text)
    assert len(exercises) >= 3 and len(solutions) >= len(exercises)
    assert "{glue:text}" in "".join(text.split("{solution")[1:]), "no solution is computed"
    assert re.search(r"\{term\}`", text), "the chapter links no glossary term"


@pytest.mark.slow
def test_the_student_edition_has_no_solutions(tmp_path):
    sys.path.insert(0, str(ROOT / "teaching"))
    from build import build

    html = build("student", tmp_path / "student")
    pages = {p.relative_to(html).as_posix(): p.read_text(encoding="utf-8")
             for p in html.rglob("*.html")}
    assert any('class="exercise admonition' in text for text in pages.values())
    leaks = [name for name, text in pages.items()
             if 'class="solution' in text or "Solution to" in text
             or "solution-content" in text]
    assert leaks == []
    assert "(student edition)" in pages["intro.html"]


def test_gated_solutions_are_cut_out_of_the_student_copy(tmp_path):
    sys.path.insert(0, str(ROOT / "teaching"))
    from build import strip_gated_solutions

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("```{exercise}\n:label: x-ex1\nDo it.\n```"),
        nbformat.v4.new_markdown_cell("```{solution-start} x-ex1\n:class: dropdown\n```"),
        nbformat.v4.new_code_cell("answer = 42"),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```"),
        nbformat.v4.new_markdown_cell("After."),
    ])
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    assert strip_gated_solutions(path) == 3
    kept = [c.source for c in nbformat.read(path, as_version=4).cells]
    assert kept == ["```{exercise}\n:label: x-ex1\nDo it.\n```", "After."]
