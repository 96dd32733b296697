"""Build the student or the instructor edition of the book.

    python teaching/build.py student       # no solutions: _build/student/_build/html
    python teaching/build.py instructor    # with solutions: _build/instructor/_build/html

The instructor edition is the book as published, solutions in dropdowns. The student
edition leaves every solution out of the pages: sphinx-exercise's ``hide_solutions``
drops the ``{solution}`` directives, and this script also removes the cells of gated
solutions (``{solution-start}`` to ``{solution-end}``), whose code would otherwise stay
on the page. It builds from a copy of the sources, so the book itself is not touched,
with a fresh execution cache, so every chapter runs.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
SKIP = ("_build", ".jupyter_cache", ".git", "tests", "benchmarks/results/*.tmp", "*.egg-info",
        ".hypothesis", ".pytest_cache", "__pycache__", ".ruff_cache", ".ipynb_checkpoints")
GATE_START = re.compile(r"^\s*[`:]{3,}\{solution-start\}", re.M)
GATE_END = re.compile(r"^\s*[`:]{3,}\{solution-end\}", re.M)


def strip_gated_solutions(notebook: Path) -> int:
    """Remove every cell from a ``{solution-start}`` cell to its ``{solution-end}`` cell."""
    nb = nbformat.read(notebook, as_version=4)
    kept, inside, removed = [], False, 0
    for cell in nb.cells:
        text = cell.source if cell.cell_type == "markdown" else ""
        if GATE_START.search(text):
            inside = True
        if inside:
            removed += 1
            inside = not GATE_END.search(text)
            continue
        kept.append(cell)
    nb.cells = kept
    nbformat.write(nb, notebook)
    return removed


def student_config(source: Path, target: Path) -> None:
    config = yaml.safe_load(source.read_text(encoding="utf-8"))
    config["title"] = f"{config['title']} (student edition)"
    config.setdefault("sphinx", {}).setdefault("config", {})["hide_solutions"] = True
    target.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def build(edition: str, out: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "book"
        shutil.copytree(ROOT, book, ignore=shutil.ignore_patterns(*SKIP))
        config = book / "_config.yml"
        if edition == "student":
            for notebook in book.rglob("*.ipynb"):
                strip_gated_solutions(notebook)
            student_config(book / "_config.yml", config)
        if out.exists():
            shutil.rmtree(out)
        done = subprocess.run([str(JUPYTER_BOOK), "build", str(book), "--config", str(config),
                               "--path-output", str(out)], capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"The {edition} build failed:\n{done.stdout[-4000:]}"
                             f"{done.stderr[-4000:]}")
    return out / "_build" / "html"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("edition", choices=("student", "instructor"))
    parser.add_argument("--out", type=Path, help="where to build (default _build/EDITION)")
    args = parser.parse_args()
    html = build(args.edition, args.out or ROOT / "_build" / args.edition)
    print(f"The {args.edition} edition is in {html}; open {html / 'index.html'}")


if __name__ == "__main__":
    main()
