"""Print the book to PDF with headless Chromium: the whole book, each page, each case.

    python teaching/print.py                 # the book as published -> _build/pdf/book
    python teaching/print.py student         # the student edition   -> _build/pdf/student
    python teaching/print.py instructor      # the instructor edition -> _build/pdf/instructor
    python teaching/print.py --html DIR      # a site already built in DIR (no build)

It builds the edition first (the book with ``jupyter-book build .``, the editions with
``teaching/build.py``), then opens every page of the table of contents from its files in
Chromium (Debian's ``chromium``, through Playwright; no TeX, no network), waits until every
chart has drawn, opens the solutions' dropdowns, and prints it with the theme's print
style. It writes ``book.pdf`` (every page in reading order), one PDF per page
(``chapters/functions.pdf``, ``cases/cases.pdf``, ...) and one per case study
(``cases/startup-high-touch.pdf``, ...), and copies them into the site's ``pdf/`` folder,
where the instructor guide links to them.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from chromium import CHROMIUM, CHROMIUM_ARGS, chart_states, undrawn

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
PDF_OPTIONS = {"format": "A4", "print_background": True, "prefer_css_page_size": False,
               "margin": {"top": "18mm", "bottom": "18mm", "left": "14mm", "right": "14mm"}}
# Shown on paper: the solutions' dropdowns open; hidden: the "show code" toggles of
# hide-input cells and the charts' "..." menu, which do nothing on paper.
PRINT_CSS = """
@media print {
  details.hide > summary, .vega-embed .vega-actions, .vega-embed summary {
    display: none !important;
  }
  .csmodels-chart, figure, tr { break-inside: avoid; }
  /* a long table may run on to the next page rather than leave a page nearly empty */
  .bd-main .bd-content table { break-inside: auto !important; }
  p, li { orphans: 3; widows: 3; }
}
"""
OPEN_DROPDOWNS = """() => {
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  document.querySelectorAll('.dropdown.admonition, .solution').forEach(e => {
    e.classList.remove('toggle-hidden');
    e.querySelectorAll('*').forEach(c => { c.style.visibility = 'visible'; });
  });
}"""
# Keep the page's title and one case section; hide the rest of the page and its contents list.
ONE_CASE = """exerciseId => {
  const toc = document.getElementById('jb-print-toc');
  if (toc) { toc.style.display = 'none'; }
  const section = document.getElementById(exerciseId).closest('section');
  const page = section.parentElement;
  for (const child of Array.from(page.children)) {
    if (child !== section && !/^H1$/.test(child.tagName)) {
      child.style.display = 'none';
      child.classList.add('csmodels-print-hidden');
    }
  }
}"""
SHOW_ALL = """() => {
  document.querySelectorAll('.csmodels-print-hidden').forEach(e => {
    e.style.display = '';
    e.classList.remove('csmodels-print-hidden');
  });
  const toc = document.getElementById('jb-print-toc');
  if (toc) { toc.style.display = ''; }
}"""


class PrintError(Exception):
    """A problem the reader can fix; ``main`` prints it and exits with code 2."""


def toc_pages() -> list[str]:
    """The book's pages in reading order (the root, then the table of contents)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]


def build_site(edition: str) -> Path:
    """Build the edition and return its HTML folder."""
    if edition == "book":
        done = subprocess.run([str(JUPYTER_BOOK), "build", str(ROOT)], capture_output=True,
                              text=True)
        if done.returncode:
            raise PrintError(f"The book's build failed:\n{done.stdout[-4000:]}"
                             f"{done.stderr[-4000:]}")
        return ROOT / "_build" / "html"
    sys.path.insert(0, str(ROOT / "teaching"))
    from build import build

    return build(edition, ROOT / "_build" / edition)


def wait_for_charts(page) -> None:
    failed = undrawn(chart_states(page, timeout=60_000))
    if failed:
        raise PrintError(f"{failed} chart(s) did not draw on {page.url}; nothing printed.")


def open_page(browser, path: Path):
    page = browser.new_page(viewport={"width": 1100, "height": 1400})
    page.goto(path.as_uri(), wait_until="load")
    page.emulate_media(media="print")
    page.add_style_tag(content=PRINT_CSS)
    wait_for_charts(page)
    page.evaluate(OPEN_DROPDOWNS)
    page.evaluate("document.fonts.ready")
    return page


def case_ids(page) -> list[str]:
    return page.eval_on_selector_all(
        "div.exercise.admonition[id^='case-']", "es => es.map(e => e.id)")


def print_site(html: Path, out: Path) -> list[Path]:
    """Print every page of ``html`` and every case into ``out``; return the PDFs written."""
    import pypdfium2 as pdfium
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise PrintError("Printing needs Debian's chromium: apt-get install -y chromium")
    pages = [p for p in toc_pages() if (html / f"{p}.html").exists()]
    if not pages:
        raise PrintError(f"No page of the book in {html}: build it first.")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        written = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name in pages:
                page = open_page(browser, html / f"{name}.html")
                target = work / f"{name}.pdf"
                target.parent.mkdir(parents=True, exist_ok=True)
                page.pdf(path=str(target), **PDF_OPTIONS)
                written.append(target)
                for case in case_ids(page):
                    page.evaluate(ONE_CASE, case)
                    target = work / Path(name).parent / f"{case.removeprefix('case-')}.pdf"
                    page.pdf(path=str(target), **PDF_OPTIONS)
                    written.append(target)
                    page.evaluate(SHOW_ALL)
                page.close()
            browser.close()
        book = pdfium.PdfDocument.new()
        for name in pages:
            book.import_pages(pdfium.PdfDocument(str(work / f"{name}.pdf")))
        book.save(str(work / "book.pdf"))
        book.close()
        written.insert(0, work / "book.pdf")
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(work, out)
    shutil.rmtree(html / "pdf", ignore_errors=True)
    shutil.copytree(out, html / "pdf")
    return [out / pdf.relative_to(work) for pdf in written]


def check_out(out: Path, force: bool) -> None:
    """Refuse to replace a folder that is not an earlier print (it would be deleted)."""
    if out.exists() and any(out.iterdir()) and not (out / "book.pdf").is_file() and not force:
        raise PrintError(f"{out} is not empty and holds no earlier print (no book.pdf); "
                         "give an empty or new --out, or --force to replace it.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("edition", nargs="?", default="book",
                        choices=("book", "student", "instructor"),
                        help="what to build and print (default: the book as published)")
    parser.add_argument("--html", type=Path, metavar="DIR",
                        help="print this built site instead of building one")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="where to write the PDFs (default _build/pdf/EDITION); "
                        "it is replaced")
    parser.add_argument("--force", action="store_true",
                        help="replace --out even if it holds something other than a print")
    args = parser.parse_args(argv)
    out = args.out or ROOT / "_build" / "pdf" / args.edition
    try:
        check_out(out, args.force)
        if args.html and not (args.html / "index.html").is_file():
            raise PrintError(f"{args.html} holds no built site (no index.html); build it "
                             "first (jupyter-book build .) or leave --html out.")
        html = args.html or build_site(args.edition)
        written = print_site(html, out)
    except PrintError as err:
        print(f"print.py: {err}", file=sys.stderr)
        return 2
    print(f"Wrote {len(written)} PDFs to {out} (the whole book: {out / 'book.pdf'}); "
          f"copied into {html / 'pdf'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
