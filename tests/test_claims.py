"""The claims register: every citation of a source rests on words the source contains.

The span check needs the five source texts, which CI has at ../shared/sources beside
the repository; without them those tests are skipped, saying why.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from csmodels import claims
from csmodels.claims import normalise, register, sources

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT.parent / "shared" / "sources"
needs_sources = pytest.mark.skipif(
    not (SOURCES / "README.md").exists(),
    reason=f"the source texts are not at {SOURCES} (CI has them at ../shared/sources)")


def _cells(path: Path, kind: str) -> str:
    """A file's text, or of a notebook only its cells of ``kind`` (markdown, code)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        cells = json.loads(text)["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == kind)
    return text


def _page_text(path: Path) -> str:
    return _cells(path, "markdown")


def _pages() -> list[Path]:
    return [p for pattern in claims.PAGES for p in sorted(ROOT.glob(pattern))]


def test_register_is_well_formed():
    table = register()
    assert len(table) >= 150 and table.index.is_unique
    # the sources' BibTeX keys, as every other table names them (one spelling)
    assert set(table["source"]) == {"src000", "src001", "src002", "src003", "src004"}
    assert table["used_in"].map(len).min() >= 1  # every claim is used somewhere


@needs_sources
def test_every_span_is_verbatim_in_its_source():
    assert claims.check_spans(SOURCES) == []


@needs_sources
def test_span_check_catches_a_changed_word(monkeypatch):
    table = claims.package_table("claims", text=True).copy()
    table.loc[0, "span"] = table.loc[0, "span"].replace("a", "the", 1)
    _replace_register(monkeypatch, table)
    problems = claims.check_spans(SOURCES)
    assert len(problems) == 1 and table.loc[0, "claim_id"] in problems[0]


def test_every_span_is_at_most_one_sentence():
    """The register quotes the sources as the book does: a sentence at a time."""
    for cid, span in register()["span"].items():
        assert not re.search(r"[.!?][”\"]? +[A-Z“]", span), cid
        assert len(span) <= 220, cid


def _replace_register(monkeypatch, table) -> None:
    original = claims.package_table
    monkeypatch.setattr(claims, "package_table",
                        lambda name, text=False: table if name == "claims"
                        else original(name, text))


def test_normalise_reads_the_export_artefacts_of_source_003():
    assert normalise("<b>Startup</b>\tValue > \\$75K.") == "Startup Value > $75K."


def test_every_page_citation_is_in_the_register_and_its_used_in_is_exact():
    uses = claims.uses_in_book(ROOT)
    table = register()
    assert set(uses) <= set(table.index), sorted(set(uses) - set(table.index))
    for cid, row in table.iterrows():
        pages = {u for u in row["used_in"] if "#" not in u}
        assert pages == uses.get(cid, set()), cid


def test_no_page_cites_a_source_directly():
    keys = set(sources()["bibkey"])
    for path in _pages():
        for group in re.findall(r"\{cite(?::[a-z]+)?\}`([^`]*)`", _page_text(path)):
            assert not {k.strip() for k in group.split(",")} & keys, (path, group)


def test_every_table_row_that_cites_a_source_has_a_claim():
    cited = claims.table_citations()
    assert len(cited) >= 100
    assert claims.check_tables() == []


def test_an_uncovered_table_row_is_found(monkeypatch):
    table = claims.package_table("claims", text=True).copy()
    row = table.index[table["claim_id"] == "004-kpi-qbr"][0]
    table.loc[row, "used_in"] = "chapters/metrics; glossary"
    _replace_register(monkeypatch, table)
    assert claims.check_tables() == ["cs_kpis.csv#QBR Coverage % cites source 004 but no "
                                     "claim of source 004 in the register names this row"]


@needs_sources
def test_bibliography_gives_each_source_as_the_source_readme_does():
    readme = (SOURCES / "README.md").read_text(encoding="utf-8")
    published = readme.split("## Where each text was published", 1)[1]
    for num, row in sources().iterrows():
        line = next(ln for ln in published.splitlines() if ln.startswith(f"| {row['file']}"))
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[1] == row["title"], num
        if row["url"]:
            assert row["url"].split("//", 1)[1].rstrip("/") == cells[4].rstrip("/"), num
        else:
            assert cells[4] == "not found", num


def test_references_bib_keeps_addresses_and_acronyms():
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    assert "\\$" not in bib and "n.d." not in bib and "{{Source 00" not in bib
    entries = {m.group(1): m.group(2) for m in re.finditer(r"@\w+\{(\w+),(.*?)\n\}", bib, re.S)}
    for _, row in sources().iterrows():
        entry = entries[row["bibkey"]]
        assert row["url"] in entry if row["url"] else "url" not in entry
    assert "{B2B} {SaaS}" in entries["saascapital2023"] and "{CSM}" in entries["src002"]
    assert "Robertson, Campbell" in entries["src002"]
    assert "year         = {2025}" in entries["src002"]
    assert "doi" in entries["fader2007"] and "doi" in entries["fader2010"]


@needs_sources
def test_the_works_source_002_lists_are_its_own():
    text = normalise((SOURCES / sources().loc["002", "file"]).read_text(encoding="utf-8"))
    items = re.findall(r"^\* (.*) <(\S+)>$", (ROOT / "bibliography.md").read_text(encoding="utf-8"),
                       re.M)
    assert len(items) >= 50
    for title, url in items:
        assert normalise(title.replace("\\", "") + " " + url) in text, title


def _mini_book(tmp_path: Path, page: str) -> subprocess.CompletedProcess:
    """Build a two-page Sphinx project with the claims extension; return the run."""
    (tmp_path / "appendix").mkdir()
    (tmp_path / "conf.py").write_text(
        "extensions = ['myst_parser', 'sphinxcontrib.bibtex', 'csmodels.sphinx_claims']\n"
        "bibtex_bibfiles = ['refs.bib']\nexclude_patterns = ['_build']\n"
        "csmodels_claims_check_pages = False\n", encoding="utf-8")
    (tmp_path / "refs.bib").write_text("@misc{src000, title={T}}\n@misc{other, title={O}}\n",
                                       encoding="utf-8")
    (tmp_path / "index.md").write_text(
        "# Home\n\n```{toctree}\npage\nappendix/claims\n```\n", encoding="utf-8")
    (tmp_path / "appendix" / "claims.md").write_text(
        "# Register\n\n(books-own)=\n## Own\n\n```{claims-register}\n```\n", encoding="utf-8")
    (tmp_path / "page.md").write_text(page, encoding="utf-8")
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", str(tmp_path),
                           str(tmp_path / "_build")], capture_output=True, text=True, env=env,
                          timeout=300)


def test_a_claim_renders_as_a_citation_linked_to_its_words(tmp_path):
    run = _mini_book(tmp_path, "# Page\n\nNo single answer {claim}`000-no-universal-answer`; "
                               "{booksown}`our rule` and {cite:p}`other`.\n\n"
                               "```{booksown}\nOur reading, set apart.\n```\n")
    assert run.returncode == 0, run.stderr
    html = (tmp_path / "_build" / "page.html").read_text(encoding="utf-8")
    number = claims_number("000-no-universal-answer")
    assert re.search(r'<a class="[^"]*csmodels-claim[^"]*" href="appendix/claims.html'
                     r'#claim-000-no-universal-answer" title="Source 000: “There is no '
                     rf'universally correct answer to where CS should report”">{number}</a>', html)
    assert "(ClimbtheLadder n.d., claim " in html
    assert '<span class="csmodels-booksown">our rule</span>' in html
    assert 'href="appendix/claims.html#books-own"' in html
    assert re.search(r'<div class="admonition csmodels-booksown">\s*<p class="admonition-title">'
                     r"The book’s reading, not a source’s</p>", html)
    assert "Our reading, set apart." in html
    register_html = (tmp_path / "_build" / "appendix" / "claims.html").read_text(encoding="utf-8")
    assert 'id="claim-000-no-universal-answer"' in register_html
    assert 'id="source-003"' in register_html and "the KPI table: “QBR Coverage %”" in register_html


def claims_number(cid: str) -> int:
    from csmodels.sphinx_claims import claim_numbers

    return claim_numbers()[cid]


@pytest.mark.parametrize(("page", "message"), [
    ("# Page\n\nSaid {claim}`000-no-such-claim`.\n",
     "'000-no-such-claim', which the claims register"),
    ("# Page\n\nSaid {cite:p}`src000`.\n", "cites a source directly"),
])
def test_a_citation_without_a_claim_stops_the_build(tmp_path, page, message):
    run = _mini_book(tmp_path, page)
    assert run.returncode != 0
    assert "Extension error" in run.stderr and message in run.stderr, run.stderr[-2000:]


ISSUE_16 = {
    # a claim a source does not make, now gone or marked as the book's
    "chapters/maturity.ipynb": ["all five sources say", "need one leader {cite"],
    "chapters/collaboration.ipynb": ["the rule of\nengagement",
                                     "teaches both teams to ignore it {"],
    "chapters/reporting.ipynb": ["limits it\nto startups"],
    "chapters/metrics.ipynb": ["for that reason."],
    "cases/cases.ipynb": ["the case for CS under a CRO {"],
    "teaching/instructor-guide.md": ["argue about the incentive, not the box"],
    "glossary.md": ["named CSM and regular one-to-one\n  meetings, used where"],
}


@pytest.mark.parametrize("page", sorted(ISSUE_16))
def test_claims_the_sources_do_not_make_are_gone(page):
    text = _page_text(ROOT / page)
    for fragment in ISSUE_16[page]:
        assert fragment not in text, fragment


def test_what_the_book_adds_is_marked_where_the_issue_found_it_unmarked():
    maturity = _page_text(ROOT / "chapters" / "maturity.ipynb")
    assert "```{booksown} The book's rules for combining the sources" in maturity
    collaboration = _page_text(ROOT / "chapters" / "collaboration.ipynb")
    assert "```{booksown} The responsibility matrix is the book's" in collaboration
    assert "{booksown}`An SLA that most\nhandoffs miss" in collaboration
    kpis = claims.package_table("cs_kpis", text=True).set_index("kpi")
    assert kpis.loc["Expansion Pipeline Influenced", "kind"] == "leading revenue"


def test_an_uncovered_table_row_stops_the_build(monkeypatch):
    from sphinx.errors import ExtensionError

    from csmodels import sphinx_claims

    sphinx_claims._check_tables(None)  # the package's tables are all covered
    monkeypatch.setattr(sphinx_claims, "check_tables", lambda: ["cs_kpis.csv#NPS cites 004"])
    with pytest.raises(ExtensionError, match=r"cs_kpis\.csv#NPS cites 004"):
        sphinx_claims._check_tables(None)


# --- one table of source ids ------------------------------------------------------------


def test_every_table_names_only_sources_of_the_sources_table():
    assert claims.check_source_ids() == []
    # and the reporting page's tables show each source by its number
    from csmodels import reporting

    for table in (reporting.arguments(), reporting.scores(), reporting.stage_adjustments()):
        names = table["source"].map(claims.source_name)
        assert set(names) <= {f"Source {n}" for n in sources().index}


def test_a_table_naming_an_unknown_source_is_found(monkeypatch):
    original = claims.package_table
    scores = original("reporting_scores", text=True).copy()
    scores.loc[3, "source"] = "src005"
    monkeypatch.setattr(claims, "package_table", lambda name, text=False: scores
                        if name == "reporting_scores" else original(name, text))
    assert claims.check_source_ids() == [
        "csmodels/data/reporting_scores.csv, row 5: source 'src005' is not in "
        "csmodels/data/sources.csv; add it there or name one of src000, src001, src002, "
        "src003, src004 (an outside reference: its key in references.bib; the book's own: "
        "book)"]


@pytest.mark.parametrize("table", ["claims", "reporting_scores", "maturity_dimensions"])
@pytest.mark.parametrize("cell", ["003", "src 003", "Src003", "src003 ", "", "Book"])
def test_any_other_spelling_of_a_source_is_refused(monkeypatch, table, cell):
    """A source has one spelling: its key. A number, a key with a space or another case,
    an empty cell: each is found, in the claims register as in any table."""
    original = claims.package_table
    changed = original(table, text=True).copy()
    changed.loc[0, "source"] = cell
    monkeypatch.setattr(claims, "package_table", lambda name, text=False: changed
                        if name == table else original(name, text))
    problems = claims.check_source_ids()
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"csmodels/data/{table}.csv, row 2: source {cell!r} is not")


def test_outside_references_and_the_books_own_rows_pass():
    keys = claims.bibliography_keys()
    assert {"src000", "src004", "fader2007", "saascapital2023"} <= keys
    tables = {"functions_sbg_paper": "fader2007", "retention_benchmarks": "saascapital2023",
              "maturity_dimensions": "book"}
    for table, key in tables.items():
        assert set(claims.package_table(table, text=True)["source"]) == {key}, table
    assert claims.check_source_ids() == []


def test_a_claim_naming_a_number_stops_the_register(monkeypatch):
    table = claims.package_table("claims", text=True).copy()
    table.loc[0, "source"] = "000"
    _replace_register(monkeypatch, table)
    with pytest.raises(ValueError, match=r"names the source '000', which is not a BibTeX key"):
        register()


def test_an_unknown_source_id_is_refused_with_what_to_do():
    with pytest.raises(ValueError, match=r"Unknown source 'src005': csmodels/data/"
                                         r"sources.csv lists src000, .*Add the source there"):
        claims.source_name("src005")
    with pytest.raises(ValueError, match="Unknown source '003'"):
        claims.source_file("003")  # a number is not a bibkey


def test_each_source_id_has_one_spelling_read_from_the_sources_table():
    table = sources()
    for number, row in table.iterrows():
        assert claims.source_name(row["bibkey"]) == f"Source {number}"
        assert claims.source_file(row["bibkey"]) == row["file"]
        assert row["file"].startswith(f"{number}_") and row["bibkey"] == f"src{number}"


def test_a_sixth_source_is_one_row_of_the_sources_table(monkeypatch):
    import pandas as pd

    original = claims.package_table
    table = original("sources", text=True)
    sixth = pd.concat([table, pd.DataFrame([{**table.iloc[0].to_dict(), "source": "005",
                                             "bibkey": "src005",
                                             "file": "005_0123456789abcdef.txt"}])],
                      ignore_index=True)
    monkeypatch.setattr(claims, "package_table", lambda name, text=False: sixth
                        if name == "sources" else original(name, text))
    assert claims.source_name("src005") == "Source 005"
    assert claims.source_file("src005") == "005_0123456789abcdef.txt"
    assert claims.check_source_ids() == []


def _code(path: Path) -> str:
    """A module's text, or a notebook's code cells."""
    return _cells(path, "code")


def test_no_module_or_chapter_keeps_its_own_table_of_source_ids():
    """The source ids and files are written only in sources.csv (and the claims register
    and tables that cite them), never as a dict in code or a notebook."""
    spelled = re.compile(r"[\"']src\d{3}[\"']\s*:|\d{3}_[0-9a-f]{16}\.txt")
    places = [*ROOT.glob("csmodels/**/*.py"), *ROOT.glob("chapters/*.ipynb"),
              *ROOT.glob("cases/*.ipynb"), *ROOT.glob("appendix/*.ipynb")]
    found = [str(p.relative_to(ROOT)) for p in places if spelled.search(_code(p))]
    assert found == ["csmodels/claims.py"]  # its doctests show what it reads from the table


def test_no_code_names_a_source_by_a_literal():
    """Code takes a source from a table row's ``source`` cell (or from sources.csv),
    never from a literal ``"src003"`` or file name: a new source is one row, and a
    table's source is the table's word. Docstrings may show them (doctests)."""
    import ast

    literal = re.compile(r"src\d{3}|\d{3}_[0-9a-f]{16}\.txt")
    places = [*ROOT.glob("csmodels/**/*.py"), *ROOT.glob("chapters/*.ipynb"),
              *ROOT.glob("cases/*.ipynb"), *ROOT.glob("appendix/*.ipynb")]
    found = []
    for path in places:
        tree = ast.parse(_code(path))
        found += [f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
                  for node in ast.walk(tree) if isinstance(node, ast.Constant)
                  and isinstance(node.value, str) and literal.fullmatch(node.value)]
    assert found == []
    assert literal.fullmatch("src003") and not literal.fullmatch("source 003")  # can fail
