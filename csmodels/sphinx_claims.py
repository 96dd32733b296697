"""Sphinx side of the claims register (:mod:`csmodels.claims`).

* ``{claim}`id``` (or several ids, comma-separated) cites a claim of the register.
  It renders as an author-date citation with the claim's number, ``(Zuora n.d.,
  claim 4)``, linked to the claim's words on the register page, with the span as
  its tooltip. An id the register lacks stops the build with an extension error.
* ``{cite}`` of a source's BibTeX key (``src000`` ...) stops the build too: sources
  are cited through the register only. Outside references keep ``{cite}``.
* ``{booksown}`text``` marks an inline statement as the book's own reading, and the
  ``{booksown}`` directive a whole block; both look different from a sourced claim
  and link to the register page's note on what the book adds.
* The ``{claims-register}`` directive writes the register page: the claims by
  source, one anchor per claim (``#claim-<id>``), each with where the book uses it.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

from .claims import check_tables, register, sources, table_use

CLAIMS_DOC = "appendix/claims"
BOOKS_OWN_ANCHOR = "books-own"
CSS = "csmodels-claims.css"
STYLE = """
a.csmodels-claim { white-space: nowrap; }
span.csmodels-booksown { border-bottom: 2px dotted #6a3d9a; }
a.csmodels-booksown-mark { font-size: 0.8em; font-variant: small-caps; color: #6a3d9a;
  white-space: nowrap; margin-left: 0.2em; }
div.admonition.csmodels-booksown { border-color: #6a3d9a; border-left-style: dashed; }
div.admonition.csmodels-booksown > .admonition-title { background-color: #f1eaf7;
  color: #3f1d63; }
div.admonition.csmodels-booksown > .admonition-title::after { color: #6a3d9a; }
li.csmodels-claim-entry { margin-bottom: 0.6em; }
span.csmodels-claim-id { font-size: 0.8em; color: #6c757d; }
a.reference.external { overflow-wrap: anywhere; }
"""


class claim_ref(nodes.Inline, nodes.TextElement):
    """A citation of claims, resolved into links once the page's address is known."""


class booksown_mark(nodes.Inline, nodes.TextElement):
    """The link after an inline {booksown} statement."""


def claim_numbers() -> dict[str, int]:
    """Each claim's number within its source: its place in the register, from 1."""
    table = register()
    return {cid: int(n) + 1 for cid, n in
            table.groupby("source").cumcount().items()}


def _unknown(ids: list[str]) -> list[str]:
    known = register().index
    return [c for c in ids if c not in known]


def claim_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    ids = [c.strip() for c in text.split(",") if c.strip()]
    env = inliner.document.settings.env
    missing = _unknown(ids) if ids else ["(none)"]
    if missing:
        raise ExtensionError(
            f"{env.docname}, line {lineno}: {{claim}}`{text}` cites "
            f"{', '.join(repr(m) for m in missing)}, which the claims register "
            "(csmodels/data/claims.csv) does not hold. Add the claim there, with its source, "
            "the verbatim words it rests on and where the book uses it, or cite an existing "
            "claim.")
    node = claim_ref(rawtext, "")
    node["claims"] = ids
    return [node], []


def booksown_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    span = nodes.inline(rawtext, "", classes=["csmodels-booksown"])
    span += nodes.Text(text)
    return [span, booksown_mark("", "")], []


class BooksOwn(SphinxDirective):
    """A block that is the book's own reading (an admonition styled apart)."""

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True

    def run(self):
        title = self.arguments[0] if self.arguments else "The book's reading, not a source's"
        node = nodes.admonition("", classes=["admonition", "csmodels-booksown"])
        node += nodes.title(title, title)
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


class ClaimsRegister(SphinxDirective):
    """The register page's body: the claims by source, one anchor per claim."""

    has_content = False

    def run(self):
        table, numbers, found = register(), claim_numbers(), self.env.found_docs
        out = []
        for num, src in sources().iterrows():
            section = nodes.section(ids=[f"source-{num}"])
            heading = f"Source {num}: {src['title']}"
            section += nodes.title(heading, heading)
            section += self._reference(num, src)
            items = nodes.bullet_list()
            for cid, row in table[table["source"] == src["bibkey"]].iterrows():
                items += self._entry(cid, row, numbers[cid], found)
            section += items
            out.append(section)
        return out

    def _reference(self, num, src):
        para = nodes.paragraph()
        para += nodes.Text(f"{src['publisher']}; date: {src['date']}; file {src['file']}; ")
        if src["url"]:
            para += nodes.reference(src["url"], src["url"], refuri=src["url"])
        else:
            para += nodes.Text("no published address found")
        para += nodes.Text(f". Cited in the book as ({src['label']}, claim n).")
        return para

    def _page_link(self, cid, docname, found):
        if docname not in found:
            if not self.config.csmodels_claims_check_pages:
                return nodes.Text(docname)
            raise ExtensionError(
                f"claims register: claim {cid!r} says it is used in {docname!r}, which is "
                "neither a page of the book nor a table row (table.csv#row); correct its "
                "used_in.")
        ref = pending_xref("", refdomain="std", reftype="doc", reftarget=f"/{docname}",
                           refdoc=self.env.docname, refexplicit=False, refwarn=True)
        ref += nodes.inline(docname, docname)
        return ref

    def _entry(self, cid, row, number, found):
        item = nodes.list_item(ids=[f"claim-{cid}"], classes=["csmodels-claim-entry"])
        para = nodes.paragraph()
        para += nodes.strong("", f"Claim {number}")
        para += nodes.Text(f": “{row['span']}”")
        para += nodes.inline("", f" ({cid})", classes=["csmodels-claim-id"])
        item += para
        where = nodes.paragraph()
        where += nodes.Text("Used in: ")
        for i, use in enumerate(row["used_in"]):
            if i:
                where += nodes.Text(", ")
            if "#" in use:
                page, words = table_use(use)
                where += nodes.Text(f"{words}, in ")
                where += self._page_link(cid, page, found)
            else:
                where += self._page_link(cid, use, found)
        item += where
        return item


def _check_tables(app) -> None:
    problems = check_tables()
    if problems:
        raise ExtensionError("claims register (csmodels/data/claims.csv): "
                             + "; ".join(problems) + ". Every table row that cites a source "
                             "needs a claim of that source whose used_in names the row.")


def _no_source_cites(app, doctree) -> None:
    keys = set(sources()["bibkey"])
    for ref in doctree.findall(pending_xref):
        if ref.get("refdomain") != "cite":
            continue
        cited = {k.strip() for k in str(ref.get("reftarget", "")).split(",")}
        if cited & keys:
            raise ExtensionError(
                f"{app.env.docname}, line {ref.line}: {ref.rawsource or ref.astext()} cites a "
                "source directly; cite it through the claims register with {claim}`id` "
                "(csmodels/data/claims.csv), so the citation carries the words it rests on.")


def _resolve(app, doctree, fromdocname) -> None:
    if not doctree.traverse(claim_ref) and not doctree.traverse(booksown_mark):
        return
    page = app.builder.get_relative_uri(fromdocname, CLAIMS_DOC)
    table, numbers = register(), claim_numbers()
    srcs = sources().reset_index().set_index("bibkey")  # the register names its bibkey
    for node in list(doctree.findall(claim_ref)):
        groups: dict[str, list[str]] = {}
        for cid in node["claims"]:
            groups.setdefault(table.loc[cid, "source"], []).append(cid)
        out = nodes.inline("", "", classes=["csmodels-claims"])
        out += nodes.Text("(")
        for g, (key, ids) in enumerate(groups.items()):
            num = srcs.loc[key, "source"]
            if g:
                out += nodes.Text("; ")
            out += nodes.Text(f"{srcs.loc[key, 'label']}, claim{'s' if len(ids) > 1 else ''} ")
            for i, cid in enumerate(ids):
                if i:
                    out += nodes.Text(", ")
                out += nodes.reference(
                    "", str(numbers[cid]), refuri=f"{page}#claim-{cid}",
                    reftitle=f"Source {num}: “{table.loc[cid, 'span']}”",
                    classes=["csmodels-claim"])
        out += nodes.Text(")")
        node.replace_self(out)
    for node in list(doctree.findall(booksown_mark)):
        node.replace_self(nodes.reference(
            "", "[book's reading]", refuri=f"{page}#{BOOKS_OWN_ANCHOR}",
            reftitle="The book's own reading, not a claim of a source",
            classes=["csmodels-booksown-mark"]))


def _add_css(app, config) -> None:
    folder = Path(app.outdir).parent / ".csmodels_claims_static"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CSS
    if not path.exists() or path.read_text(encoding="utf-8") != STYLE:
        path.write_text(STYLE, encoding="utf-8")
    config.html_static_path.append(str(folder))


def setup(app):
    from . import __version__

    register()  # a malformed register stops the build before any page is read
    # a page named in used_in must be a page of the book (off only for test projects)
    app.add_config_value("csmodels_claims_check_pages", True, "env")
    app.add_node(claim_ref)
    app.add_node(booksown_mark)
    app.add_role("claim", claim_role)
    app.add_role("booksown", booksown_role)
    app.add_directive("booksown", BooksOwn)
    app.add_directive("claims-register", ClaimsRegister)
    app.connect("config-inited", _add_css)
    app.connect("builder-inited", _check_tables)
    app.connect("doctree-read", _no_source_cites)
    app.connect("doctree-resolved", _resolve)
    app.add_css_file(CSS)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
