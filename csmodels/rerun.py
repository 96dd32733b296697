"""Rerun a chapter, or the whole book, on a reader's own company.

``csmodels rerun`` executes one chapter notebook with papermill on the reader's
data folder and builds its page; ``csmodels book`` does that for every chapter
and builds the whole site. Both

* check the data (and profile) first, so bad input stops with the loader's
  message before any notebook runs;
* take ``-p NAME VALUE`` values as plain values checked against the chapter's
  declared types and set them as data (:mod:`csmodels.parameters`), never as code,
  refusing a name the chapter does not have (for ``book``: ``NAME`` for every chapter
  that has it, ``CHAPTER.NAME`` for one);
* show every outside string (folder and file names, data, profile, parameters) as
  text: the provenance block is a code cell's HTML output, escaped, never Markdown;
* put a provenance block on every page (data folder and its fingerprint,
  profile, parameters, missing tables, csmodels version, run date);
* never write into the data folder or over the book's sources, the profile's or
  mapping's folder; replace a non-empty ``--out`` only with ``--force`` and only
  if csmodels wrote it; one run at a time per ``--out``; build in a staging
  folder next to ``--out`` that replaces it only at the end, so a failed or
  stopped run leaves nothing half-written (:mod:`csmodels._fs`);
* run each chapter's kernel on Unix sockets in the run's temporary folder, never
  on a network port (:mod:`csmodels._kernel`);
* report progress on stderr.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
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
from ._book_root import book_root
from ._fs import MARKER, check_output, copy_tree, os_errors, staged
from ._signals import deferred_signals
from .book import visible
from .exceptions import CsModelsError, ParameterError, RunError  # noqa: F401 (rerun.CsModelsError)
from .inputs import folder_fingerprint, load_company
from .parameters import book_parameters, check_parameters, inject_parameters
from .profile import default_profile_path, load_profile

# What a book build never needs from the sources.
_SKIP = ("_build", ".jupyter_cache", ".git", "tests", "*.egg-info",
         ".hypothesis", ".pytest_cache", "__pycache__", ".ci", ".ruff_cache",
         ".ipynb_checkpoints")


def list_chapters(root: Path) -> list[str]:
    """The chapters in reading order: ``chapters/<name>`` entries of ``_toc.yml`` whose
    notebook exists.

    >>> "metrics" in list_chapters(book_root())
    True
    """
    text = (root / "_toc.yml").read_text(encoding="utf-8")
    names = re.findall(r"file:\s*chapters/([\w-]+)", text)
    return [n for n in dict.fromkeys(names) if (root / "chapters" / f"{n}.ipynb").is_file()]




# ------------------------------------------------------------------------- provenance


@dataclass
class Progress:
    """Progress lines on stderr: what runs, how far, how long so far."""

    command: str
    stream: object = None  # None: sys.stderr at the time of writing
    start: float = field(default_factory=time.monotonic)

    def __call__(self, message: str) -> None:
        elapsed = time.monotonic() - self.start
        # visible(): a folder's name may hold line breaks or terminal escape sequences
        print(f"csmodels {self.command}: {visible(message)} ({elapsed:.1f} s elapsed)",
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
    r"""The provenance block as HTML: every value shown as text (:func:`csmodels.book.visible`
    writes line breaks and control characters as escapes, then :func:`html.escape`).

    >>> out = provenance_html({"data_folder": "<b>\n\n{{7*7}}", "fingerprint": "f",
    ...     "profile": None, "parameters": {}, "missing_tables": [],
    ...     "csmodels_version": "0", "run_date": "d"})
    >>> r"&lt;b&gt;\n\n{{7*7}}" in out, chr(10) in out
    (True, False)
    """
    rows = _provenance_rows(prov)
    # the labels wrap where the window is narrow: kept on one line, the longest pushed the
    # block wider than a phone's screen
    cells = "".join(f'<tr><th style="padding-right:1em">{html.escape(k)}'
                    f'</th><td><code style="word-break:break-all">'
                    f"{html.escape(visible(v))}</code></td></tr>" for k, v in rows)
    return ('<div class="csmodels-provenance" style="border:1px solid #bbb;border-radius:4px;'
            'padding:0.5em 1em;margin:1em 0;font-size:0.9em"><p><strong>Rerun on your '
            "company.</strong> This page was computed from the data below, not from the "
            "book's sample; sections that need a missing table say so.</p>"
            f"<table>{cells}</table></div>")


def provenance_text(prov: dict) -> str:
    """The provenance block as plain text (the output's text/plain, for other readers)."""
    return "\n".join(f"{k}: {visible(v)}" for k, v in _provenance_rows(prov))


def _provenance_rows(prov: dict) -> list[tuple[str, str]]:
    params = ", ".join(f"{k} = {v}" for k, v in prov["parameters"].items()) or "the defaults"
    missing = ", ".join(prov["missing_tables"]) or "none"
    return [("Data folder", prov["data_folder"]),
            ("Fingerprint (SHA-256 of the files read)", prov["fingerprint"]),
            ("Profile", prov["profile"] or "none: the defaults"), ("Parameters", params),
            ("Optional tables missing", missing), ("csmodels", prov["csmodels_version"]),
            ("Run on", prov["run_date"])]


def provenance_cell(prov: dict) -> nbformat.NotebookNode:
    """The provenance block as a code cell's output (its input hidden): the page inserts
    an output's HTML as it is, where a Markdown cell would be parsed as MyST (whose
    substitutions are Jinja templates) and a blank line in a name would end the HTML."""
    cell = nbformat.v4.new_code_cell("# What this page was computed from (added by csmodels)")
    cell.metadata["tags"] = ["csmodels-provenance", "remove-input"]
    cell.outputs = [nbformat.v4.new_output(
        "display_data", data={"text/html": provenance_html(prov),
                              "text/plain": provenance_text(prov)})]
    return cell


# -------------------------------------------------------------------------- execution


def execute_chapter(source: Path, target: Path, data: Path, profile: Path | None,
                    parameters: dict, prov: dict, workdir: Path) -> None:
    """Execute one chapter with papermill into ``target``, with the run's parameters set
    by :func:`csmodels.parameters.inject_parameters` (never papermill's translators) and
    the provenance block added after the run. ``parameters`` must have passed
    :func:`check_parameters`."""
    import papermill as pm

    from ._kernel import kernel_manager_in

    nb = nbformat.read(source, as_version=4)
    values = {"data_dir": str(data.resolve()),
              "profile_path": str(profile.resolve()) if profile else None, **parameters}
    inject_parameters(nb, values)
    staged_input = workdir / f"{source.stem}.input.ipynb"
    nbformat.write(nb, staged_input)
    try:
        pm.execute_notebook(str(staged_input), str(target), cwd=str(workdir),
                            progress_bar=False, log_output=False, kernel_name="python3",
                            kernel_manager_class=kernel_manager_in(workdir))
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
    _finish_page(target, prov)
    _drop_skipped_prose(target)


def _finish_page(path: Path, prov: dict) -> None:
    """The page shows the values used (the injected cell), not the defaults, and the
    provenance block under the chapter's title."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = [*tags, "remove-cell"]
    nb.cells.insert(1, provenance_cell(prov))
    nb.metadata["csmodels_provenance"] = _storable(prov)
    nbformat.write(nb, path)


def _storable(node):
    """``node`` with lone surrogates (from file names that are not UTF-8) written as
    escapes, so the notebook, which is UTF-8 JSON, can hold it."""
    if isinstance(node, str):
        return node.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(node, dict):
        return {_storable(k): _storable(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_storable(v) for v in node]
    return node


def _drop_skipped_prose(path: Path) -> None:
    """The prose of the sections the data could not support goes (see csmodels.needs)."""
    from .needs import prune_notebook

    nbformat.write(prune_notebook(nbformat.read(path, as_version=4)), path)


def _name_the_company(site: Path, data: Path, profile: Path | None) -> None:
    """The introduction says whose data the book shows (as escaped HTML, never Markdown)."""
    from .book import company_name

    # visible(): line breaks and control characters in a name are written as escapes, so
    # the note stays one line of HTML that no Markdown, MyST or template parser reads into
    name = visible(company_name(load_profile(profile), data))
    intro = site / "intro.md"
    text = intro.read_text(encoding="utf-8")
    block = re.compile(r"^% csmodels:whose-data start.*?^% csmodels:whose-data end$", re.S | re.M)
    note = ('<p class="csmodels-whose-data"><strong>Whose data.</strong> Every figure in the '
            f"chapters of this book is computed on the data of <strong>{html.escape(name)}"
            f"</strong> (the folder <code>{html.escape(visible(data.resolve()))}"
            "</code>), not on the book's sample company.</p>")
    intro.write_text(block.sub(lambda _: note, text), encoding="utf-8")


def _copy_sources(root: Path, target: Path) -> None:
    skip = shutil.ignore_patterns(*_SKIP)

    def ignore(folder: str, names: list[str]) -> set[str]:  # and earlier outputs in the clone
        return set(skip(folder, names)) | {n for n in names
                                            if (Path(folder) / n / MARKER).is_file()}

    copy_tree(root, target, ignore=ignore)


@contextmanager
def _workdir(prefix: str) -> Iterator[Path]:
    """A private temporary folder, removed whatever happens (a signal waits for it)."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work
    finally:
        with deferred_signals():
            shutil.rmtree(work, ignore_errors=True)


def _run_group(command: list[str], env: dict) -> subprocess.CompletedProcess:
    """Run ``command`` in its own process group, and end the whole group if csmodels
    is stopped meanwhile (its kernels included: they live in the same temporary folder)."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, env=env,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate()
    except BaseException:
        _end_group(proc)
        raise
    return subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)


def _end_group(proc: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def _write_config(site: Path, data: Path, execute_rest: bool) -> None:
    """The copied _config.yml with the chapters' execution off (they ran already)."""
    path = site / "_config.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    execute = config.setdefault("execute", {})
    execute["execute_notebooks"] = "force" if execute_rest else "off"
    execute["exclude_patterns"] = ["chapters/*"]
    # The footer is inserted into every page as HTML: the folder's name as escaped text.
    config.setdefault("html", {})["extra_footer"] = (
        f"Computed on the data in <code>{html.escape(visible(data.resolve()))}</code> "
        f"by csmodels {html.escape(__version__)}.")
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")


def build_site(site: Path, progress: Progress) -> Path:
    """Build the book in ``site`` with jupyter-book; the HTML folder."""
    progress("building the site with jupyter-book")
    # jupyter-book run by this interpreter, so the site is built with this csmodels's
    # Sphinx extensions whatever ``jupyter-book`` comes first on PATH.
    command = [sys.executable, "-c", "import sys; from jupyter_book.cli.main import main; "
               "sys.argv[0] = 'jupyter-book'; sys.exit(main())"]
    # The pages' kernels (and their connection files) and every temporary file of the
    # build stay in the run's own temporary folder, removed whatever happens.
    tmp = site.parent / "build-tmp"
    tmp.mkdir(exist_ok=True)
    try:
        done = _run_group([*command, "build", str(site), "--builder", "html"],
                          {**os.environ, "TMPDIR": str(tmp),
                           "JUPYTER_RUNTIME_DIR": str(site.parent / "jupyter-runtime")})
    except FileNotFoundError:
        raise RunError(f"jupyter-book is not installed ({sys.executable} not found). Install "
                       "the book's requirements (pip install -r requirements.txt).") from None
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
    from ._kernel import in_worker  # jupyter-client (the [book] extra): imported on use only

    root, parameters = book_root(source), dict(parameters or {})
    chapters = list_chapters(root)
    if chapter not in chapters:
        raise ParameterError(f"There is no chapter '{chapter}'. The chapters are: "
                             f"{', '.join(chapters)}.")
    notebook = root / "chapters" / f"{chapter}.ipynb"
    parameters = check_parameters(notebook, parameters)
    data, profile = _resolve(data, profile)
    out = Path(out)
    check_output(out, data, force, profile, root)
    progress = Progress("rerun")
    progress(f"checking the data in {data}")
    prov = provenance(data, profile, parameters)
    with (os_errors("the output or its temporary files"),
          staged(out, force, f"rerun {chapter}") as target,
          _workdir("csmodels-rerun-") as work):
        site = work / "book"
        _copy_sources(root, site)
        progress(f"[1/1] executing chapter {chapter}")
        in_worker(execute_chapter, notebook, site / "chapters" / f"{chapter}.ipynb", data,
                  profile, parameters, prov, work)
        _write_single_toc(site, chapter)
        _write_config(site, data, execute_rest=False)
        html_dir = build_site(site, progress)
        target.mkdir()
        shutil.copy2(site / "chapters" / f"{chapter}.ipynb", target / f"{chapter}.ipynb")
        copy_tree(html_dir, target / "html")
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
               source: str | Path | None = None, chapters: Sequence[str] | None = None,
               parameters: dict | None = None) -> Path:
    """Execute every chapter on ``data`` and build the whole site into ``out``.

    ``parameters`` maps ``NAME`` (every chapter that has that parameter) or
    ``CHAPTER.NAME`` (that chapter only) to a value (:func:`csmodels.parameters.book_parameters`).
    """
    from ._kernel import in_worker  # jupyter-client (the [book] extra): imported on use only

    root = book_root(source)
    names = list(chapters or list_chapters(root))
    per_chapter = book_parameters({n: root / "chapters" / f"{n}.ipynb" for n in names},
                                  dict(parameters or {}))
    data, profile = _resolve(data, profile)
    out = Path(out)
    check_output(out, data, force, profile, root)
    progress = Progress("book")
    progress(f"checking the data in {data}")
    prov = provenance(data, profile, {})
    with (os_errors("the output or its temporary files"), staged(out, force, "book") as target,
          _workdir("csmodels-book-") as work):
        site = work / "book"
        _copy_sources(root, site)
        _name_the_company(site, data, profile)
        for i, name in enumerate(names, 1):
            progress(f"[{i}/{len(names)}] executing chapter {name}")
            values = per_chapter[name]
            in_worker(execute_chapter, root / "chapters" / f"{name}.ipynb",
                      site / "chapters" / f"{name}.ipynb", data, profile, values,
                      {**prov, "parameters": {k: repr(v) for k, v in values.items()}}, work)
        _write_config(site, data, execute_rest=True)
        copy_tree(build_site(site, progress), target)
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

    from .inputs.schema import TABLES

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
