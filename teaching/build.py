"""Build the student or the instructor edition of the book.

    python teaching/build.py student       # no solutions: _build/student/_build/html
    python teaching/build.py instructor    # with solutions: _build/instructor/_build/html

The instructor edition is the book as published, solutions in dropdowns. The student
edition is built from a copy of the sources from which every solution and instructor
note has been cut, so that nothing of them reaches any file of its site: not the pages,
not the downloadable sources (``_sources/``, the Download -> .ipynb/.md buttons), not
the search index. Cut are every ``{solution}`` directive (in notebooks and Markdown
pages), every gated solution (the cells from ``{solution-start}`` to ``{solution-end}``),
every code cell tagged ``solution`` and every paragraph that opens with
``**Instructor note(s).**``; sphinx-exercise's ``hide_solutions`` is set as well. The
downloadable notebooks also lose the code cells that compute an answer (that glue a value
only a solution shows), which the pages needed to run. The
book itself is not touched, and the build uses a fresh execution cache, so every chapter
runs.
"""

from __future__ import annotations

import argparse
import ast
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
# A ``{solution}`` directive, from its opening fence to the closing fence of the same
# character and at least the same length (MyST's rule), whatever it holds.
SOLUTION = re.compile(r"^[ \t]*(?P<fence>`{3,}|:{3,})\{solution\}.*?"
                      r"^[ \t]*(?P=fence)(?:`*|:*)[ \t]*(?:\n|\Z)", re.M | re.S)
# A paragraph (up to a blank line) that opens with **Instructor note.** or **Instructor notes.**
INSTRUCTOR_NOTE = re.compile(r"^[ \t]*\*\*Instructor notes?\.?\*\*.*?(?:\n[ \t]*\n|\Z)",
                             re.M | re.S | re.I)


def strip_solution_text(text: str) -> str:
    """``text`` (MyST Markdown) without its ``{solution}`` blocks and instructor notes.

    >>> strip_solution_text("Ask.\\n\\n```{solution} ex\\nAnswer.\\n```\\nNext.\\n")
    'Ask.\\n\\nNext.\\n'
    """
    return INSTRUCTOR_NOTE.sub("", SOLUTION.sub("", text))


def student_copy(notebook: Path) -> int:
    """Cut solutions, instructor notes and ``solution``-tagged code cells out of a notebook;
    return how many cells went or changed."""
    nb = nbformat.read(notebook, as_version=4)
    changed = 0
    kept = []
    for cell in nb.cells:
        if cell.cell_type == "code" and "solution" in cell.metadata.get("tags", []):
            changed += 1
            continue
        if cell.cell_type == "markdown":
            text = strip_solution_text(cell.source)
            if text != cell.source:
                changed += 1
                cell.source = text
        kept.append(cell)
    nb.cells = kept
    nbformat.write(nb, notebook)
    return changed + strip_gated_solutions(notebook)


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


GLUE_REF = re.compile(r"\{glue(?::\w+)?\}`([^`]+)`")
GLUE_CALL = re.compile(r"""\bglue\(\s*(f?)(["'])(.+?)\2""")


def answer_keys(notebook: Path) -> set[str]:
    """The glue keys that only the notebook's solutions show: the exercises' answers."""
    nb = nbformat.read(notebook, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    solutions = "\n".join(m.group(0) for m in SOLUTION.finditer(text))
    rest = SOLUTION.sub("", text)
    return set(GLUE_REF.findall(solutions)) - set(GLUE_REF.findall(rest))


def _glues_any(source: str, keys: set[str]) -> bool:
    for is_f, _, key in GLUE_CALL.findall(source):
        # an f-string key such as f"ex_{name}" stands for every key it can make
        pattern = re.escape(key) if not is_f else re.sub(
            r"\\\{[^}]*\\\}", r"\\w+", re.escape(key))
        if any(re.fullmatch(pattern, k) for k in keys):
            return True
    return False


def _names(source: str, ctx: type) -> set[str] | None:
    """The names a cell binds (``ast.Store``) or reads (``ast.Load``); None if not Python."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    found = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ctx)}
    if ctx is ast.Store:
        found |= {n.name for n in ast.walk(tree)
                  if isinstance(n, ast.FunctionDef | ast.ClassDef)}
        found |= {(a.asname or a.name).split(".")[0] for n in ast.walk(tree)
                  if isinstance(n, ast.Import | ast.ImportFrom) for a in n.names}
    return found


def drop_answer_cells(notebook: Path, keys: set[str]) -> int:
    """Remove the code cells that compute an answer from a notebook that is only
    downloaded: a cell that glues one of ``keys`` and binds nothing a later cell reads
    (the page, already built, needed it; the rest of the notebook does not)."""
    nb = nbformat.read(notebook, as_version=4)
    drop = set()
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not _glues_any(cell.source, keys):
            continue
        bound = _names(cell.source, ast.Store)
        later = [_names(c.source, ast.Load) for c in nb.cells[i + 1:] if c.cell_type == "code"]
        if bound is not None and None not in later and not bound & set().union(*later):
            drop.add(i)
    nb.cells = [c for i, c in enumerate(nb.cells) if i not in drop]
    nbformat.write(nb, notebook)
    return len(drop)


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
        answers = {}
        if edition == "student":
            for notebook in book.rglob("*.ipynb"):
                answers[notebook.relative_to(book)] = answer_keys(notebook)
                student_copy(notebook)
            for page in book.rglob("*.md"):
                page.write_text(strip_solution_text(page.read_text(encoding="utf-8")),
                                encoding="utf-8")
            student_config(book / "_config.yml", config)
        if out.exists():
            shutil.rmtree(out)
        done = subprocess.run([str(JUPYTER_BOOK), "build", str(book), "--config", str(config),
                               "--path-output", str(out)], capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"The {edition} build failed:\n{done.stdout[-4000:]}"
                             f"{done.stderr[-4000:]}")
    html = out / "_build" / "html"
    # The pages needed the answer cells to run; the downloadable notebooks do not get them.
    for name, keys in answers.items():
        if keys and (html / "_sources" / name).exists():
            drop_answer_cells(html / "_sources" / name, keys)
    return html


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("edition", choices=("student", "instructor"))
    parser.add_argument("--out", type=Path, help="where to build (default _build/EDITION); "
                        "it is replaced")
    parser.add_argument("--force", action="store_true",
                        help="replace --out even if it holds something other than a build")
    args = parser.parse_args(argv)
    out = args.out or ROOT / "_build" / args.edition
    earlier = (out / "_build" / "html" / "index.html").is_file()
    if out.exists() and any(out.iterdir()) and not earlier and not args.force:
        print(f"build.py: {out} is not empty and holds no earlier build; give an empty or "
              "new --out, or --force to replace it.", file=sys.stderr)
        return 2
    html = build(args.edition, out)
    print(f"The {args.edition} edition is in {html}; open {html / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
