"""The teaching kit: objectives and exercises in every chapter, glossary links that
resolve, and a student edition with no solutions in it."""

from __future__ import annotations

import re
import shutil
import subprocess
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


# What a student must never get: the text of every solution and instructor note.
SOLUTION_BLOCK = re.compile(r"^[ \t]*(?P<fence>`{3,}|:{3,})\{solution\}[^\n]*\n(?P<body>.*?)"
                            r"^[ \t]*(?P=fence)(?:`*|:*)[ \t]*$", re.M | re.S)
NOTE = re.compile(r"^[ \t]*\*\*Instructor notes?\.?\*\*.*?(?:\n[ \t]*\n|\Z)", re.M | re.S | re.I)
# MyST roles and markup split the text into the runs of words that reach the page as typed.
MARKUP = re.compile(r"\{[\w:-]+\}`[^`]*`|`[^`]*`|\$[^$]*\$|\*\*|[*_\[\]()<>{}|#]")
QUOTES = str.maketrans({"\u2019": "\'", "\u2018": "\'", "\u201c": '"', "\u201d": '"',
                        "\u2013": "-", "\u2014": "-", "\u00a0": " "})


def source_pages() -> list[Path]:
    skip = {"_build", "tests", ".git", ".jupyter_cache", ".ipynb_checkpoints"}
    return sorted(p for ext in ("*.ipynb", "*.md") for p in ROOT.rglob(ext)
                  if not skip & set(p.relative_to(ROOT).parts))


def secret_texts() -> dict[str, list[str]]:
    """Every solution's and instructor note's text in the book's sources, by page."""
    found = {}
    for page in source_pages():
        text = markdown_of(page)
        blocks = [m["body"] for m in SOLUTION_BLOCK.finditer(text)] + NOTE.findall(text)
        if page.suffix == ".ipynb":  # gated solutions: every cell between the two markers
            inside = False
            for cell in nbformat.read(page, as_version=4).cells:
                inside = inside or "{solution-start}" in cell.source
                if inside:
                    blocks.append(cell.source)
                    inside = "{solution-end}" not in cell.source
        if blocks:
            found[page.relative_to(ROOT).as_posix()] = blocks
    return found


def phrases(block: str) -> list[str]:
    """The runs of at least five words and 30 characters of a block, as a page or a
    search would hold them."""
    body = "\n".join(line for line in block.splitlines() if not line.lstrip().startswith(":"))
    runs = (" ".join(run.split()).strip(" .,;:") for run in MARKUP.split(body))
    return [run.translate(QUOTES) for run in runs if len(run.split()) >= 5 and len(run) >= 30]


def site_texts(html: Path) -> dict[str, str]:
    """Every file of a built site as searchable text: tags stripped, entities decoded,
    notebooks and JSON flattened to their strings, whitespace and quotes normalised."""
    import html as html_module
    import json

    def strings(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for value in node.values():
                yield from strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value)

    out = {}
    for path in html.rglob("*"):
        if not path.is_file():
            continue
        raw = path.read_bytes()
        if path.suffix == ".inv":
            import zlib
            raw = zlib.decompress(raw.split(b"\n", 4)[4])
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue  # images and fonts
        if path.suffix in (".ipynb", ".json"):
            text = "\n".join(strings(json.loads(text)))
        variants = [text]
        if path.suffix in (".html", ".js", ".ipynb", ".md", ".txt"):
            variants.append(html_module.unescape(re.sub(r"<[^>]+>", " ", text)))
            variants.append(html_module.unescape(MARKUP.sub(" ", text)))
        out[path.relative_to(html).as_posix()] = "\n".join(
            " ".join(v.split()).translate(QUOTES) for v in variants)
    return out


def leaks(html: Path) -> dict[str, list[str]]:
    """For every solution or note phrase, the site files that hold it."""
    texts = site_texts(html)
    return {phrase: [name for name, text in texts.items() if phrase in text]
            for blocks in secret_texts().values() for block in blocks
            for phrase in phrases(block)}


def index_terms(html: Path) -> set[str]:
    """The words (stems) of a site's search index."""
    import json

    text = (html / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1:text.rindex(")")])
    return set(index["terms"]) | set(index["titleterms"])


def stems(text: str, shortest: int = 1) -> set[str]:
    """The words of ``text`` as Sphinx's English search stems them."""
    import snowballstemmer

    stemmer = snowballstemmer.stemmer("porter")
    return {stemmer.stemWord(w) for w in re.findall(rf"[a-z]{{{shortest},}}", text.lower())}


def solution_only_stems(html: Path) -> set[str]:
    """Stems of solutions' and notes' words that nothing else in the site's pages uses."""
    import html as html_module

    secret = stems(" ".join(MARKUP.sub(" ", b) for blocks in secret_texts().values()
                            for b in blocks), shortest=4)
    visible = " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", p.read_text("utf-8")))
                       for p in html.rglob("*.html"))
    return secret - stems(visible)


def test_every_solution_and_note_has_phrases_to_look_for():
    found = secret_texts()
    assert {"cases/cases.ipynb", "chapters/functions.ipynb", "chapters/metrics.ipynb"} <= set(found)
    notes = [b for b in found["cases/cases.ipynb"] if "Instructor notes." in b]
    assert len(notes) >= 6
    for page, blocks in found.items():
        for block in blocks:
            if "{solution-end}" not in block and "{solution-start}" not in block:
                assert phrases(block), (page, block)


@pytest.fixture(scope="module")
def editions(tmp_path_factory, site) -> dict[str, Path]:
    """The student edition, built by teaching/build.py; the instructor edition is the book
    as published, an untouched copy of the sources built as they are (see the test after
    this one), which conftest's ``site`` has already built: a copy of that site (the print
    test writes its PDFs into the site it prints), not a second build of the same book."""
    sys.path.insert(0, str(ROOT / "teaching"))
    from build import build

    out = tmp_path_factory.mktemp("editions")
    instructor = out / "instructor" / "_build" / "html"
    shutil.copytree(site, instructor)
    return {"student": build("student", out / "student"), "instructor": instructor}


def test_the_instructor_edition_is_the_book_built_as_it_is(tmp_path, monkeypatch):
    """What build.py does for the instructor edition, the build itself replaced: it runs
    jupyter-book on a byte-identical copy of the book's sources with the book's own
    _config.yml, so the suite's built book (``site``) stands for it."""
    sys.path.insert(0, str(ROOT / "teaching"))
    import build as teaching

    seen = {}

    def jupyter_book(command, **_):
        book = Path(command[2])
        copied = [p for p in book.rglob("*") if p.is_file()]
        seen.update(command=command, book=book,
                    names={p.relative_to(book).as_posix() for p in copied}, changed=[
            p.relative_to(book).as_posix() for p in copied
            if p.read_bytes() != (ROOT / p.relative_to(book)).read_bytes()])
        (Path(command[-1]) / "_build" / "html").mkdir(parents=True)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(teaching.subprocess, "run", jupyter_book)
    html = teaching.build("instructor", tmp_path / "out")
    command, book = seen["command"], seen["book"]
    assert command[:2] == [str(teaching.JUPYTER_BOOK), "build"]
    assert command[3:] == ["--config", str(book / "_config.yml"), "--path-output",
                           str(tmp_path / "out")]
    assert seen["changed"] == []
    assert {"_config.yml", "_toc.yml", "intro.md", "chapters/functions.ipynb",
            "cases/cases.ipynb", "teaching/instructor-guide.md"} <= seen["names"]
    assert html == tmp_path / "out" / "_build" / "html"


@pytest.mark.slow
def test_no_file_of_the_student_edition_holds_a_solution_or_note(editions):
    html = editions["student"]
    found = leaks(html)
    assert len(found) > 40, "too few phrases to look for"
    assert {phrase: files for phrase, files in found.items() if files} == {}
    # the search index: no word that only the solutions and notes use
    only = solution_only_stems(html)
    assert len(only) >= 10, "too few words to look for"
    assert only & index_terms(html) == set()
    assert len(only & index_terms(editions["instructor"])) >= 10  # the instructor's has them
    pages = {p.relative_to(html).as_posix(): p.read_text(encoding="utf-8")
             for p in html.rglob("*.html")}
    assert any('class="exercise admonition' in text for text in pages.values())
    assert not any('class="solution' in text or "solution-content" in text
                   for text in pages.values())
    assert "(student edition)" in pages["intro.html"]
    assert (html / "_sources" / "chapters" / "functions.ipynb").exists()
    # the downloadable chapters hold no code that computes an answer (the pages ran it)
    sys.path.insert(0, str(ROOT / "teaching"))
    from build import answer_keys

    for chapter in chapters():
        keys = answer_keys(chapter)
        name = chapter.relative_to(ROOT).as_posix()
        student = (html / "_sources" / name).read_text(encoding="utf-8")
        instructor = (editions["instructor"] / "_sources" / name).read_text(encoding="utf-8")
        assert keys and all(key not in student for key in keys), name
        assert any(key in instructor for key in keys), name
    assert "Instructor notes" not in (html / "_sources" / "cases" / "cases.ipynb").read_text()


@pytest.mark.slow
def test_the_instructor_edition_keeps_every_solution_and_note(editions):
    html = editions["instructor"]
    missing = [phrase for phrase, files in leaks(html).items()
               if not any(f.endswith(".html") for f in files)]
    assert missing == []
    assert "Instructor notes." in (html / "cases" / "cases.html").read_text(encoding="utf-8")


def test_solution_blocks_and_notes_are_cut_out_of_the_student_copy(tmp_path):
    sys.path.insert(0, str(ROOT / "teaching"))
    from build import strip_solution_text, student_copy

    text = ("Ask.\n\n````{solution} ex1\n:class: dropdown\n\nIt is 4.\n\n```python\nx = 4\n```\n"
            "````\n\n**Instructor notes.** Push them\non this.\n\nKept.\n"
            ":::{solution} ex2\nAlso gone.\n:::\nEnd.")
    assert strip_solution_text(text) == "Ask.\n\n\nKept.\nEnd."
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("```{exercise}\n:label: x-ex1\nDo it.\n```\n\n"
                                      "```{solution} x-ex1\nDone.\n```\n"),
        nbformat.v4.new_code_cell("answer = 42", metadata={"tags": ["solution"]}),
        nbformat.v4.new_code_cell("kept = 1", metadata={"tags": ["remove-cell"]}),
    ])
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    assert student_copy(path) == 2
    cells = [c.source for c in nbformat.read(path, as_version=4).cells]
    assert cells == ["```{exercise}\n:label: x-ex1\nDo it.\n```\n\n", "kept = 1"]


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


# ------------------------------------------------------------------ print


def _pdf_pages(path: Path) -> list[str]:
    """Each page's text."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    pages = [" ".join(page.get_textpage().get_text_range().split()) for page in pdf]
    pdf.close()
    return pages


def _chart_in_pdf(path: Path, title: str) -> tuple[int, float]:
    """Under a chart's title (SVG text, so in the PDF's text): how many vector paths (marks,
    axes, grid) the 200 points below it hold, and the share of its pixels in colour."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    pdf = pdfium.PdfDocument(str(path))
    try:
        for page in pdf:
            text = page.get_textpage()
            if title not in " ".join(text.get_text_range().split()):
                continue
            _, bottom, _, _ = text.get_charbox(text.search(title[:30]).get_next()[0])
            paths = sum(1 for o in page.get_objects(max_depth=8)
                        if o.type == pdfium_c.FPDF_PAGEOBJ_PATH
                        and bottom - 200 <= o.get_bounds()[1] and o.get_bounds()[3] <= bottom)
            height = page.get_size()[1]
            rgb = page.render(scale=0.5, rev_byteorder=True).to_numpy()[..., :3].astype(int)
            area = rgb[int((height - bottom) / 2):int((height - bottom + 200) / 2)]
            return paths, float(((area.max(-1) - area.min(-1)) > 60).mean())
        return 0, 0.0
    finally:
        pdf.close()


def _chart_titles(html_page: Path) -> list[str]:
    import html as html_module
    import json

    titles = []
    for payload in re.findall(r'<script type="application/json" class="csmodels-spec">(.*?)'
                              r"</script>", html_page.read_text(encoding="utf-8"), re.S):
        spec = json.loads(html_module.unescape(payload))["spec"]
        parts = [spec, *spec.get("vconcat", []), *spec.get("hconcat", [])]
        for part in parts:
            title = part.get("title")
            title = title.get("text") if isinstance(title, dict) else title
            if isinstance(title, list):  # a long title is wrapped into lines (csmodels.style)
                title = " ".join(str(line) for line in title)
            if isinstance(title, str):
                titles.append(" ".join(title.split()))
                break
    return titles


@pytest.mark.slow
@pytest.mark.browser
def test_print_makes_pdfs_of_the_book_its_pages_and_cases_with_charts(editions, tmp_path):
    html = editions["instructor"]
    out = tmp_path / "pdf"
    done = subprocess.run([sys.executable, str(ROOT / "teaching" / "print.py"), "--html",
                           str(html), "--out", str(out)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    cases = sorted(p.name for p in (ROOT / "data" / "cases").iterdir()
                   if (p / "profile.yml").exists())
    names = ["intro", *toc_files()]
    expected = {"book.pdf", *(f"{n}.pdf" for n in names), *(f"cases/{c}.pdf" for c in cases)}
    assert {p.relative_to(out).as_posix() for p in out.rglob("*.pdf")} == expected
    pages = {name: _pdf_pages(out / name) for name in expected}
    # every page of every PDF carries text
    # (a document's last page may hold only the end of its last paragraph)
    assert [(name, i) for name, doc in pages.items() for i, text in enumerate(doc)
            if len(text.strip()) < (1 if i == len(doc) - 1 else 40)] == []
    # the whole book is every page in reading order
    assert pages["book.pdf"] == [text for n in names for text in pages[f"{n}.pdf"]]
    # every chart of every page is printed: its title, and under it the chart's vector marks
    # (a page of text has at most a few paths: rules and boxes)
    charted = {}
    for name in names:
        for title in _chart_titles(html / f"{name}.html"):
            charted[(name, title)] = _chart_in_pdf(out / f"{name}.pdf", title)
    assert len(charted) >= 10
    assert {key: paths for key, (paths, _) in charted.items() if paths < 15} == {}
    # in colour: the stacked bars of the revenue base fill much of their area
    assert charted[("chapters/functions", "Where each year's ARR comes from")][1] > 0.2
    # a case's PDF holds that case, with its notes (instructor edition), and no other case
    one = " ".join(pages["cases/startup-high-touch.pdf"])
    assert "Instructor notes." in one and "Sketchpad" not in one and "Larkspur Legal" in one
    # the site carries them where the instructor guide links to them
    guide = (html / "teaching" / "instructor-guide.html").read_text(encoding="utf-8")
    links = re.findall(r'href="(\.\./pdf/[^"]+)"', guide)
    assert len(links) >= 14
    assert [link for link in links if not (html / "teaching" / link).resolve().is_file()] == []


@pytest.mark.parametrize("script", ["build.py", "print.py"])
def test_a_folder_that_is_not_an_earlier_output_is_not_replaced(tmp_path, script):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>x</p>", encoding="utf-8")
    args = ["student", "--out", str(out)] + (["--html", str(site)] if script == "print.py" else [])
    done = subprocess.run([sys.executable, str(ROOT / "teaching" / script), *args],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--force" in done.stderr and "Traceback" not in done.stderr
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_print_refuses_a_folder_without_a_site(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "teaching" / "print.py"), "--html",
                           str(tmp_path), "--out", str(tmp_path / "pdf")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "no built site" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "pdf").exists()


def test_answer_cells_leave_the_downloadable_notebook(tmp_path):
    sys.path.insert(0, str(ROOT / "teaching"))
    from build import answer_keys, drop_answer_cells

    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook(cells=[
        code("base = 10"),
        md("```{exercise}\n:label: e1\nDouble {glue:text}`ex_base`.\n```\n\n"
           "```{solution} e1\nIt is {glue:text}`ex_answer` and {glue:text}`ex_also_b`.\n```"),
        code('glue("ex_base", base)\nanswer = 2 * base\nglue("ex_answer", answer)'),
        code('for k in "ab":\n    glue(f"ex_also_{k}", k)\nneeded = 1'),
        code("print(needed)"),
    ])
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    assert answer_keys(path) == {"ex_answer", "ex_also_b"}
    assert drop_answer_cells(path, answer_keys(path)) == 1
    kept = [c.source for c in nbformat.read(path, as_version=4).cells]
    assert "answer = 2 * base" not in "".join(kept)  # the answer's cell went
    assert any("ex_also" in k for k in kept)  # binds `needed`, which a later cell reads
