"""The claims register: every citation of a source, with the words it rests on.

Each row of ``csmodels/data/claims.csv`` is one claim the book makes in a source's
name: the source (its BibTeX key, ``src000`` to ``src004``, as every table of the
package names it; see ``csmodels/data/sources.csv``), a short
span copied verbatim from that source's text, and where the book uses it (pages
and data tables). Pages cite a claim with the ``{claim}`` role and tables with a
``claim`` column, so a citation is only ever as good as the words behind it; the
Sphinx side is :mod:`csmodels.sphinx_claims`.

``csmodels/data/sources.csv`` is the one table of source ids: a source's number
(``003``), its BibTeX key (``src003``, as the package's tables name it) and the file of
its text. Pages and the command line name a source through :func:`source_name` (and
:func:`source_title`) and find its text through :func:`source_file`;
:func:`check_source_ids` finds a table cell that names anything but a source the file
lists, an outside reference of ``references.bib`` or ``book`` (a number such as ``003``
among them), so a new source is one row there and a source has one spelling.

The span check (:func:`check_spans`) compares each span with the source text
after three normalisations that do not change the words: runs of white space
become one space, and the escaped dollar (``\\$``) and bold tags (``<b>``) of the
text export of source 003 are read as a dollar and as nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ._tables import package_table

CLAIM_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ROLE = re.compile(r"\{claim\}`([^`]*)`")


def sources() -> pd.DataFrame:
    """The sources, indexed by their number (``"000"`` ...), with their BibTeX key
    (``bibkey``, ``src000`` ...), the file of their text and bibliography details.

    >>> sources().loc["002", "label"]
    'Robertson 2025'
    """
    return package_table("sources", text=True).set_index("source").copy()


def source(bibkey: str) -> pd.Series:
    """The row of ``sources.csv`` for a source's BibTeX key (``src003``), with its
    number as ``source``: the one table of source ids, so a sixth source is one row.

    Raises ``ValueError`` for a key the table does not list.

    >>> source("src002")["file"]
    '002_10d723511b1b2cd2.txt'
    """
    table = sources()
    rows = table[table["bibkey"] == bibkey]
    if rows.empty:
        raise ValueError(f"Unknown source {bibkey!r}: csmodels/data/sources.csv lists "
                         f"{', '.join(table['bibkey'])}. Add the source there, or name one "
                         "it lists.")
    row = rows.iloc[0].copy()
    row["source"] = rows.index[0]
    return row


def source_name(bibkey: str) -> str:
    """How a page names a source: ``src003`` -> ``Source 003``.

    >>> source_name("src003")
    'Source 003'
    """
    return f"Source {source(bibkey)['source']}"


def source_title(bibkey: str) -> str:
    """A source in words with its title and publisher, as the command line lists it.

    >>> source_title("src003")
    'Source 003, Ultimate Customer Success Org Guide (publisher not identified)'
    """
    row = source(bibkey)
    return f"{source_name(bibkey)}, {row['title']} ({row['publisher']})"


def source_file(bibkey: str) -> str:
    """The file of a source's text in ``../shared/sources``: ``src003`` -> its file name.

    >>> source_file("src004")
    '004_b8619fbcaa12e132.txt'
    """
    return str(source(bibkey)["file"])


BOOK = "book"  # a table row that is the book's own reading, not a source's
BIBKEY = re.compile(r"^@\w+\s*\{\s*([^,\s]+)\s*,", re.M)


def bibliography_keys(root: Path | None = None) -> set[str]:
    """The keys of the book's ``references.bib`` (the sources' and outside references').

    >>> {"src003", "fader2007"} <= bibliography_keys()
    True
    """
    from .rerun import book_root

    text = (book_root(root) / "references.bib").read_text(encoding="utf-8")
    return set(BIBKEY.findall(text))


def check_source_ids() -> list[str]:
    """Every cell of the package's tables (``csmodels/data/*.csv``, a ``source`` column,
    the claims register among them) that is not a source's BibTeX key from
    ``sources.csv``, a key of ``references.bib`` (an outside reference) or ``book``
    (the book's own reading): one message each. ``003`` or ``src 003`` is refused, so
    a source has one spelling.
    """
    from importlib.resources import files

    known, problems = set(sources()["bibkey"]), []
    allowed = known | bibliography_keys() | {BOOK}
    for path in sorted(files("csmodels").joinpath("data").iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".csv") or path.name == "sources.csv":
            continue
        table = package_table(path.name.removesuffix(".csv"), text=True)
        if "source" not in table.columns:
            continue
        for row, cell in table["source"].items():
            if cell not in allowed:
                problems.append(f"csmodels/data/{path.name}, row {row + 2}: source {cell!r} "
                                "is not in csmodels/data/sources.csv; add it there or name "
                                f"one of {', '.join(sorted(known))} (an outside reference: "
                                f"its key in references.bib; the book's own: {BOOK})")
    return problems


def register() -> pd.DataFrame:
    """The claims register, indexed by ``claim_id``; ``used_in`` is split into a list.

    Raises ``ValueError`` for a malformed register (a bad or repeated id, an unknown
    source, an empty span): the book cannot be built on one.

    >>> register().loc["000-no-universal-answer", "source"]
    'src000'
    """
    table = package_table("claims", text=True).copy()
    problems = []
    bad = table.loc[~table["claim_id"].str.match(CLAIM_ID), "claim_id"]
    problems += [f"claim id {c!r} is not lower-case words joined by hyphens" for c in bad]
    dup = table.loc[table["claim_id"].duplicated(), "claim_id"]
    problems += [f"claim id {c!r} appears twice" for c in dup]
    unknown = table.loc[~table["source"].isin(sources()["bibkey"]), ["claim_id", "source"]]
    problems += [f"claim {c!r} names the source {s!r}, which is not a BibTeX key of "
                 "csmodels/data/sources.csv" for c, s in unknown.itertuples(index=False)]
    empty = table.loc[table["span"].str.strip() == "", "claim_id"]
    problems += [f"claim {c!r} has no span" for c in empty]
    if problems:
        raise ValueError("csmodels/data/claims.csv: " + "; ".join(problems))
    table["used_in"] = table["used_in"].map(
        lambda s: [u.strip() for u in s.split(";") if u.strip()])
    return table.set_index("claim_id")


def normalise(text: str) -> str:
    r"""Text as the span check compares it.

    >>> normalise("a  <b>b</b>\n \\$75K")
    'a b $75K'
    """
    text = text.replace("\\$", "$").replace("<b>", "").replace("</b>", "")
    return re.sub(r"\s+", " ", text).strip()


def check_spans(folder: Path) -> list[str]:
    """Every claim whose span is not, word for word, in its source's text in ``folder``.

    Returns one message per problem (empty when every span is found).
    """
    texts = {row["bibkey"]: normalise((Path(folder) / row["file"]).read_text(encoding="utf-8"))
             for _, row in sources().iterrows()}
    return [f"claim {cid!r}: span not found verbatim in {source_name(row['source']).lower()}: "
            f"{row['span']!r}" for cid, row in register().iterrows()
            if normalise(row["span"]) not in texts[row["source"]]]


def uses_in_text(text: str) -> list[str]:
    """The claim ids a page's text cites with the ``{claim}`` role.

    >>> uses_in_text("as {claim}`a-b` and {claim}`c, d` say")
    ['a-b', 'c', 'd']
    """
    return [c.strip() for group in ROLE.findall(text) for c in group.split(",") if c.strip()]


# The package's tables that cite sources, and the column(s) that name a row.
TABLE_KEYS = {
    "functions_sales_vs_cs": ("aspect", "function"),
    "maturity_arr_stages": ("arr_stage",),
    "maturity_company_types": ("segment",),
    "maturity_funding_stages": ("funding_stage",),
    "maturity_stage_positions": ("position_id",),
    "reporting_arguments": ("argument_id",),
    "reporting_cro_coo": ("item",),
    "reporting_facts": ("fact_id",),
    "reporting_scores": ("placement", "criterion"),
    "reporting_stage_scores": ("placement", "criterion", "phase"),
    "collaboration_practices": ("practice_id",),
    "collaboration_ownership_models": ("model_id",),
    "cs_kpis": ("kpi",),
}
# Where each of those tables shows, what it is called there, and the column that names
# a row in words.
TABLE_PAGES = {
    "functions_sales_vs_cs": ("chapters/functions", "the table of the two functions", "aspect"),
    "maturity_arr_stages": ("chapters/maturity", "the ARR stages", "label"),
    "maturity_company_types": ("chapters/maturity", "the company types", "company_type"),
    "maturity_funding_stages": ("chapters/maturity", "the funding stages", "funding_stage"),
    "maturity_stage_positions": ("chapters/maturity", "the positions of sources 001 and 002",
                                 "label"),
    "reporting_arguments": ("chapters/reporting", "the arguments and scores", "text"),
    "reporting_cro_coo": ("chapters/reporting", "the CRO and COO tables", "item"),
    "reporting_facts": ("chapters/reporting", "the figures", "text"),
    "reporting_scores": ("chapters/reporting", "the scores", "reason"),
    "reporting_stage_scores": ("chapters/reporting", "the stage adjustments", "reason"),
    "collaboration_practices": ("chapters/collaboration", "the self-assessment", "practice"),
    "collaboration_ownership_models": ("chapters/collaboration", "the ownership models",
                                       "name"),
    "cs_kpis": ("chapters/metrics", "the KPI table", "kpi"),
}
PAGES = ("intro.md", "glossary.md", "bibliography.md", "rerun.md", "chapters/*.ipynb",
         "cases/*.ipynb", "teaching/*.md", "appendix/*.md", "appendix/*.ipynb", "data/README.md")


def table_row_ref(table: str, key: str) -> str:
    """How ``used_in`` names a table row: ``cs_kpis.csv#QBR Coverage %``."""
    return f"{table}.csv#{key}"


def table_use(ref: str) -> tuple[str, str]:
    """The page a table row shows on and the row in words, for the register page.

    >>> table_use("cs_kpis.csv#QBR Coverage %")
    ('chapters/metrics', 'the KPI table: “QBR Coverage %”')
    """
    name, key = ref.split("#", 1)
    table = name.removesuffix(".csv")
    page, what, column = TABLE_PAGES[table]
    keys = TABLE_KEYS[table]
    frame = package_table(table, text=True)
    rows = frame[frame[list(keys)].agg("/".join, axis=1) == key]
    words = rows[column].iloc[0] if len(rows) else key
    if table == "functions_sales_vs_cs":
        words = f"{words}, {rows['function'].iloc[0].replace('_', ' ')}"
    words = words if len(words) <= 90 else words[:89].rstrip() + "…"
    return page, f"{what}: “{words}”"


def table_citations() -> dict[str, str]:
    """Every row of the package's tables that cites a source: row reference -> the
    source's BibTeX key (rows of the book's own or an outside reference cite none)."""
    known, out = set(sources()["bibkey"]), {}
    for table, keys in TABLE_KEYS.items():
        frame = package_table(table, text=True)
        for _, row in frame.iterrows():
            if row["source"] in known:
                out[table_row_ref(table, "/".join(row[k] for k in keys))] = row["source"]
    return out


def check_tables() -> list[str]:
    """Table rows that cite a source with no claim of that source behind them, and
    claims that name a table row that does not exist (or cites another source)."""
    cited, problems = table_citations(), []
    covered: dict[str, set[str]] = {}
    for cid, row in register().iterrows():
        for use in row["used_in"]:
            if "#" not in use:
                continue
            if use not in cited:
                problems.append(f"claim {cid!r} names {use!r}, which is not a table row "
                                "citing a source")
            covered.setdefault(use, set()).add(row["source"])
    for ref, key in cited.items():
        if key not in covered.get(ref, set()):
            name = source_name(key).lower()  # "source 004"
            problems.append(f"{ref} cites {name} but no claim of {name} in the register "
                            "names this row")
    return problems


def uses_in_book(root: Path) -> dict[str, set[str]]:
    """Claim id -> the pages (docnames) whose text cites it with ``{claim}``. In notebooks
    only Markdown cells count."""
    import json

    found: dict[str, set[str]] = {}
    for pattern in PAGES:
        for path in sorted(Path(root).glob(pattern)):
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".ipynb":
                text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"]
                                 if c["cell_type"] == "markdown")
            doc = path.relative_to(root).with_suffix("").as_posix()
            for cid in uses_in_text(text):
                found.setdefault(cid, set()).add(doc)
    return found
