"""Rerun a chapter, or the whole book, on a reader's own company.

``csmodels rerun`` executes one chapter notebook with papermill on the reader's
data folder and builds its page; ``csmodels book`` does that for every chapter
and builds the whole site. Both

* check the data (and profile) first, so bad input stops with the loader's
  message before any notebook runs;
* take ``-p NAME VALUE`` values as Python literals (:func:`parse_value`), never
  as code, and refuse a name the chapter does not have;
* put a provenance block on every page (data folder and its fingerprint,
  profile, parameters, missing tables, csmodels version, run date);
* never write into the data folder, refuse a non-empty ``--out`` unless
  ``--force``, and build in a temporary folder next to ``--out`` that replaces it
  only at the end, so a failed run leaves nothing half-written;
* report progress on stderr.
"""

from __future__ import annotations

import ast
import html
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import yaml

from . import __version__
from .exceptions import CsModelsError, ParameterError
from .io import folder_fingerprint, load_company
from .profile import default_profile_path, load_profile

RESERVED = ("data_dir", "profile_path")  # set by --data and --profile
# What a book build never needs from the sources.
_SKIP = ("_build", ".jupyter_cache", ".git", "tests", "*.egg-info",
         ".hypothesis", ".pytest_cache", "__pycache__", ".ci", ".ruff_cache",
         ".ipynb_checkpoints")


class RunError(CsModelsError):
    """A chapter or the site build failed on the reader's data."""


def book_root(source: str | Path | None = None) -> Path:
    """The folder holding the book's sources (``_toc.yml``, ``chapters/``).

    >>> (book_root() / "_toc.yml").is_file()
    True
    """
    root = Path(source) if source else Path(__file__).resolve().parents[1]
    if not (root / "_toc.yml").is_file() or not (root / "chapters").is_dir():
        raise RunError(f"The book's sources are not in {root} (no _toc.yml and chapters/). "
                       "Run csmodels from a clone of the book's repository, or give --book.")
    return root


def list_chapters(root: Path) -> list[str]:
    """The chapters in reading order: ``chapters/<name>`` entries of ``_toc.yml`` whose
    notebook exists.

    >>> "metrics" in list_chapters(book_root())
    True
    """
    text = (root / "_toc.yml").read_text(encoding="utf-8")
    names = re.findall(r"file:\s*chapters/([\w-]+)", text)
    return [n for n in dict.fromkeys(names) if (root / "chapters" / f"{n}.ipynb").is_file()]


def parse_value(text: str):
    """A ``-p`` value as a Python literal, else as the string itself. Never evaluated.

    Arithmetic is text too: ``literal_eval`` would read the month 2024-10 as 2014.

    >>> parse_value("0.1"), parse_value("None"), parse_value("2024-10"), parse_value("{'a': 1}")
    (0.1, None, '2024-10', {'a': 1})
    >>> parse_value("__import__('os').remove('x')"), parse_value("-5")
    ("__import__('os').remove('x')", -5)
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
        if any(isinstance(node, ast.BinOp) for node in ast.walk(tree)):
            return text
        return ast.literal_eval(tree)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def check_parameters(notebook: Path, parameters: dict) -> None:
    """Refuse parameter names the chapter does not have (or that --data/--profile set)."""
    import papermill as pm

    known = pm.inspect_notebook(str(notebook))
    for name in parameters:
        if name in RESERVED:
            raise ParameterError(f"-p {name} is set by --data/--profile; use those options.")
        if name not in known:
            listed = ", ".join(f"{k} ({v['inferred_type_name']})" for k, v in known.items()
                               if k not in RESERVED)
            raise ParameterError(f"The chapter {notebook.stem} has no parameter '{name}'. "
                                 f"Its parameters are: {listed}.")


# ----------------------------------------------------------------------------- safety


def check_output(out: Path, data: Path, force: bool) -> None:
    """Refuse an ``--out`` that would overwrite work or touch the data folder."""
    out, data = out.resolve(), data.resolve()
    if out == data or data in out.parents:
        raise RunError(f"--out {out} is inside the data folder {data}; the data folder is "
                       "never written to. Choose an output folder elsewhere.")
    if out in data.parents:
        raise RunError(f"--out {out} holds the data folder {data}; replacing it would delete "
                       "your data. Choose an output folder elsewhere.")
    book = Path(__file__).resolve().parents[1]
    if out == book or out in book.parents:
        raise RunError(f"--out {out} holds the book's sources; replacing it would delete them. "
                       "Choose an output folder elsewhere.")
    if out.exists() and not out.is_dir():
        raise RunError(f"--out {out} is a file. Give a folder.")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise RunError(f"--out {out} is not empty. Give an empty or new folder, or --force to "
                       "replace its contents.")


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A temporary folder next to ``out`` that becomes ``out`` only if the block succeeds."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp / "out"
        old = out.with_name(f".{out.name}.old-{tmp.name[-8:]}")
        if out.exists():
            out.rename(old)
        (tmp / "out").rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------------- provenance


@dataclass
class Progress:
    """Progress lines on stderr: what runs, how far, how long so far."""

    command: str
    stream: object = None  # None: sys.stderr at the time of writing
    start: float = field(default_factory=time.monotonic)

    def __call__(self, message: str) -> None:
        elapsed = time.monotonic() - self.start
        print(f"csmodels {self.command}: {message} ({elapsed:.1f} s elapsed)",
              file=self.stream or sys.stderr, flush=True)


def provenance(data: Path, profile: Path | None, parameters: dict) -> dict:
    """What a rerun page was built from."""
    company = load_company(data)  # also stops bad data before any notebook runs
    if profile is not None:
        load_profile(profile)
    return {
        "data_folder": str(data.resolve()),
        "fingerprint": folder_fingerprint(data),
        "profile": str(profile.resolve()) if profile else None,
        "parameters": {k: repr(v) for k, v in parameters.items()},
        "missing_tables": list(company.missing_tables),
        "csmodels_version": __version__,
        "run_date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def provenance_html(prov: dict) -> str:
    """The provenance block as one HTML block (every value escaped).

    >>> "&lt;b&gt;" in provenance_html({"data_folder": "<b>", "fingerprint": "f",
    ...     "profile": None, "parameters": {}, "missing_tables": [],
    ...     "csmodels_version": "0", "run_date": "d"})
    True
    """
    params = ", ".join(f"{k} = {v}" for k, v in prov["parameters"].items()) or "the defaults"
    missing = ", ".join(prov["missing_tables"]) or "none"
    rows = [("Data folder", prov["data_folder"]),
            ("Fingerprint (SHA-256 of its files)", prov["fingerprint"]),
            ("Profile", prov["profile"] or "none: the defaults"), ("Parameters", params),
            ("Optional tables missing", missing), ("csmodels", prov["csmodels_version"]),
            ("Run on", prov["run_date"])]
    cells = "".join(f'<tr><th style="white-space:nowrap;padding-right:1em">{html.escape(k)}'
                    f'</th><td><code style="word-break:break-all">{html.escape(str(v))}</code>'
                    "</td></tr>" for k, v in rows)
    return ('<div class="csmodels-provenance" style="border:1px solid #bbb;border-radius:4px;'
            'padding:0.5em 1em;margin:1em 0;font-size:0.9em"><p><strong>Rerun on your '
            "company.</strong> This page was computed from the data below, not from the "
            "book's sample; sections that need a missing table say so.</p>"
            f"<table>{cells}</table></div>")


# -------------------------------------------------------------------------- execution


def execute_chapter(source: Path, target: Path, data: Path, profile: Path | None,
                    parameters: dict, prov: dict, workdir: Path) -> None:
    """Execute one chapter with papermill into ``target``, provenance block added."""
    import papermill as pm

    nb = nbformat.read(source, as_version=4)
    cell = nbformat.v4.new_markdown_cell(provenance_html(prov))
    cell.metadata["tags"] = ["csmodels-provenance"]
    nb.cells.insert(1, cell)
    nb.metadata["csmodels_provenance"] = prov
    staged_input = workdir / f"{source.stem}.input.ipynb"
    nbformat.write(nb, staged_input)
    values = {"data_dir": str(data.resolve()),
              "profile_path": str(profile.resolve()) if profile else None, **parameters}
    try:
        pm.execute_notebook(str(staged_input), str(target), parameters=values, cwd=str(workdir),
                            progress_bar=False, log_output=False, kernel_name="python3")
    except pm.PapermillExecutionError as err:
        raise RunError(f"The chapter {source.stem} failed on this data: {err.ename}: "
                       f"{err.evalue}") from None
    except (RuntimeError, TimeoutError) as err:  # nbclient's DeadKernelError, cell timeouts
        raise RunError(f"The chapter {source.stem} stopped before it finished: "
                       f"{type(err).__name__}: {str(err).strip()}. Nothing was written; "
                       "run the command again (if the kernel was killed for lack of memory, "
                       "close other programs first).") from None
    finally:
        staged_input.unlink(missing_ok=True)
    _hide_default_parameters(target)
    _drop_skipped_prose(target)


def _hide_default_parameters(path: Path) -> None:
    """The page shows the values used (papermill's injected cell), not the defaults."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    nbformat.write(nb, path)


def _drop_skipped_prose(path: Path) -> None:
    """The prose of the sections the data could not support goes (see csmodels.needs)."""
    from .needs import prune_notebook

    nbformat.write(prune_notebook(nbformat.read(path, as_version=4)), path)


def _name_the_company(site: Path, data: Path, profile: Path | None) -> None:
    """The introduction says whose data the book shows (as escaped HTML, never Markdown)."""
    from .book import company_name

    name = " ".join(str(company_name(load_profile(profile), data)).split())
    intro = site / "intro.md"
    text = intro.read_text(encoding="utf-8")
    block = re.compile(r"^% csmodels:whose-data start.*?^% csmodels:whose-data end$", re.S | re.M)
    note = ('<p class="csmodels-whose-data"><strong>Whose data.</strong> Every figure in the '
            f"chapters of this book is computed on the data of <strong>{html.escape(name)}"
            f"</strong> (the folder <code>{html.escape(' '.join(str(data.resolve()).split()))}"
            "</code>), not on the book's sample company.</p>")
    intro.write_text(block.sub(lambda _: note, text), encoding="utf-8")


def _copy_sources(root: Path, target: Path) -> None:
    shutil.copytree(root, target, ignore=shutil.ignore_patterns(*_SKIP), symlinks=False)


def _write_config(site: Path, data: Path, execute_rest: bool) -> None:
    """The copied _config.yml with the chapters' execution off (they ran already)."""
    path = site / "_config.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    execute = config.setdefault("execute", {})
    execute["execute_notebooks"] = "force" if execute_rest else "off"
    execute["exclude_patterns"] = ["chapters/*"]
    config.setdefault("html", {})["extra_footer"] = (
        f"Computed on the data in {html.escape(str(data.resolve()))} by csmodels {__version__}.")
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")


def build_site(site: Path, progress: Progress) -> Path:
    """Build the book in ``site`` with jupyter-book; the HTML folder."""
    progress("building the site with jupyter-book")
    command = shutil.which("jupyter-book") or str(Path(sys.executable).with_name("jupyter-book"))
    done = subprocess.run([command, "build", str(site), "--builder", "html"],
                          capture_output=True, text=True, check=False)
    html_dir = site / "_build" / "html"
    if done.returncode != 0 or not (html_dir / "index.html").is_file():
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise RunError(f"jupyter-book could not build the site:\n{tail}")
    return html_dir


def _resolve(data: str | Path, profile: str | Path | None) -> tuple[Path, Path | None]:
    data = Path(data)
    return data, default_profile_path(data, profile)


def rerun_chapter(chapter: str, data: str | Path, out: str | Path, profile=None,
                  parameters: dict | None = None, force: bool = False,
                  source: str | Path | None = None) -> Path:
    """Execute ``chapter`` on ``data``; write ``<out>/<chapter>.ipynb``, the page's site
    in ``<out>/html`` and ``<out>/index.html`` opening it. Returns ``out``."""
    root, parameters = book_root(source), dict(parameters or {})
    chapters = list_chapters(root)
    if chapter not in chapters:
        raise ParameterError(f"There is no chapter '{chapter}'. The chapters are: "
                             f"{', '.join(chapters)}.")
    notebook = root / "chapters" / f"{chapter}.ipynb"
    check_parameters(notebook, parameters)
    data, profile = _resolve(data, profile)
    out = Path(out)
    check_output(out, data, force)
    progress = Progress("rerun")
    progress(f"checking the data in {data}")
    prov = provenance(data, profile, parameters)
    with staged(out) as target, tempfile.TemporaryDirectory(prefix="csmodels-rerun-") as work:
        site = Path(work) / "book"
        _copy_sources(root, site)
        progress(f"[1/1] executing chapter {chapter}")
        execute_chapter(notebook, site / "chapters" / f"{chapter}.ipynb", data, profile,
                        parameters, prov, Path(work))
        _write_single_toc(site, chapter)
        _write_config(site, data, execute_rest=False)
        html_dir = build_site(site, progress)
        target.mkdir()
        shutil.copy2(site / "chapters" / f"{chapter}.ipynb", target / f"{chapter}.ipynb")
        shutil.copytree(html_dir, target / "html")
        _write_redirect(target / "index.html", f"html/chapters/{chapter}.html")
    progress(f"done: {out}")
    return out


def _write_single_toc(site: Path, chapter: str) -> None:
    extras = [p for p in ("glossary", "bibliography") if (site / f"{p}.md").is_file()]
    lines = ["format: jb-book", f"root: chapters/{chapter}"]
    if extras:
        lines += ["chapters:"] + [f"  - file: {p}" for p in extras]
    (site / "_toc.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write_redirect(path: Path, target: str) -> None:
    path.write_text(f'<!DOCTYPE html><meta charset="utf-8"><meta http-equiv="refresh" '
                    f'content="0; url={target}"><a href="{target}">{target}</a>\n',
                    encoding="utf-8")


def build_book(data: str | Path, out: str | Path, profile=None, force: bool = False,
               source: str | Path | None = None, chapters: Sequence[str] | None = None) -> Path:
    """Execute every chapter on ``data`` and build the whole site into ``out``."""
    root = book_root(source)
    names = list(chapters or list_chapters(root))
    data, profile = _resolve(data, profile)
    out = Path(out)
    check_output(out, data, force)
    progress = Progress("book")
    progress(f"checking the data in {data}")
    prov = provenance(data, profile, {})
    with staged(out) as target, tempfile.TemporaryDirectory(prefix="csmodels-book-") as work:
        site = Path(work) / "book"
        _copy_sources(root, site)
        _name_the_company(site, data, profile)
        for i, name in enumerate(names, 1):
            progress(f"[{i}/{len(names)}] executing chapter {name}")
            execute_chapter(root / "chapters" / f"{name}.ipynb",
                            site / "chapters" / f"{name}.ipynb", data, profile, {}, prov,
                            Path(work))
        _write_config(site, data, execute_rest=True)
        shutil.copytree(build_site(site, progress), target)
    progress(f"done: {out} (open {out / 'index.html'})")
    return out


# ------------------------------------------------------------------ what chapters need


def chapter_needs(source: str | Path | None = None):
    """Per chapter, the input tables its code reads (found in its code cells), with
    what each feeds: the table of the "Run it on your company" page.

    >>> needs = chapter_needs()
    >>> sorted(needs.loc[needs["needed"] == "required", "table"].unique())
    ['arr_monthly']
    """
    import pandas as pd

    from .schema import TABLES

    root = book_root(source)
    rows = []
    for name in list_chapters(root):
        nb = nbformat.read(root / "chapters" / f"{name}.ipynb", as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        for table in TABLES.values():
            if table.required or re.search(rf"\b{table.name}\b", code):
                rows.append({"chapter": name, "table": table.name,
                             "needed": "required" if table.required else "optional",
                             "columns it must have": ", ".join(table.required_columns),
                             "feeds": table.feeds})
    return pd.DataFrame(rows)
