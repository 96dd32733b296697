"""Small helpers the chapters share: glued text, number formats, notes on missing data.

Numbers reach the prose through myst-nb's ``glue``. The chapters glue text that
is already formatted (``104.2%``), and strings from a reader's data are glued as
text (:class:`Text`), which the page escapes. A figure the data cannot give is not
glued at all: the section says why in one sentence (:mod:`csmodels.needs`) and a
rerun drops the prose that would have shown it.
"""

from __future__ import annotations

import re

from .exceptions import printable
from .inputs.schema import TABLES


class Text(str):
    """A string to glue as text (a figure already formatted, or a name from the data).

    myst-nb's ``{glue:text}`` reads back the glued value's repr with
    :func:`ast.literal_eval`, so a ``str`` glued as itself round-trips exactly,
    whatever characters it holds ("+32" stays "+32", "1,335" stays "1,335"),
    and the page escapes it as text.

    >>> import ast
    >>> ast.literal_eval(repr(Text("1,335"))), ast.literal_eval(repr(Text("<b>'x'</b>")))
    ('1,335', "<b>'x'</b>")
    """

    __slots__ = ()


def fmt(value, kind: str = "pct", currency: str = "USD", missing: str = "n/a") -> Text:
    """Format a figure for the prose.

    >>> [str(fmt(1.0423)), str(fmt(0.5, "pct0")), str(fmt(12_500_000, "money")), str(fmt(None))]
    ['104.2%', '50%', 'USD 12.5M', 'n/a']
    >>> [str(fmt(23.4, "nps")), str(fmt(41, "int")), str(fmt(0.7612, "ratio"))]
    ['+23', '41', '0.76']
    """
    if value is None:
        return Text(missing)
    if kind == "money":
        return Text(f"{currency} {_short_money(value)}")
    spec = {"pct": ".1%", "pct0": ".0%", "int": ",.0f", "nps": "+.0f", "ratio": ".2f",
            "days": ".0f", "num": ",.1f"}
    if kind == "pp":
        return Text(f"{100 * value:.1f} points")
    return Text(format(value, spec[kind]))


def _short_money(value: float) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}{suffix}"
    return f"{value:,.0f}"


def company_name(profile, data_dir) -> Text:
    """Whose data a page shows: the profile's ``company``, else the data folder's name.

    >>> from csmodels.profile import Profile
    >>> str(company_name(Profile(company="Acme <Ltd>"), "x"))
    'Acme <Ltd>'
    >>> str(company_name(Profile(), "/d/acme-2025"))
    'acme-2025'
    """
    from pathlib import Path

    from .profile import Profile

    if profile.company != Profile.company or data_dir is None:
        return Text(profile.company)
    return Text(Path(data_dir).resolve().name or profile.company)


def missing_note(table: str) -> Text:
    """The sentence a chapter shows where an optional table is missing."""
    spec = TABLES[table]
    return Text(f"This company's data folder has no {table} table, so this section is "
                f"skipped. Add {table}.csv (columns {', '.join(spec.required_columns)}) to "
                "compute it.")


def table(frame, formats: dict[str, str] | None = None, index: bool = False,
          currency: str = "USD", blank: str | None = None):
    """A DataFrame as a table in the book's style (:mod:`csmodels.style`).

    Text is escaped and left-aligned; numbers (numeric columns, and text columns whose
    every cell reads as a figure: ``USD 1.2M``, ``12.5%``) are right-aligned under a header
    aligned the same way. Codes in headers and cells show as words
    (:func:`csmodels.style.words`); an empty cell says ``blank`` (by default "not stated").
    ``formats`` maps a column to a kind of :func:`fmt` (``"pct"``, ``"money"`` in
    ``currency``, ``"int"``...) or a format spec (``",.0f"``); other numeric columns get
    thousands separators. No truncation, no row numbers unless ``index``.

    >>> import pandas as pd
    >>> out = table(pd.DataFrame({"name": ["<b>x</b>", None], "arr": [1200.0, 35.5]}),
    ...             formats={"arr": "money"}).data
    >>> "&lt;b&gt;x&lt;/b&gt;" in out, '<td class="num">USD 1.2k</td>' in out, "not stated" in out
    (True, True, True)
    >>> '<th class="num">arr</th>' in out, '<th class="text">name</th>' in out
    (True, True)
    """
    from IPython.display import HTML

    from .style import BLANK

    if index:
        frame = frame.reset_index()
    blank = BLANK if blank is None else blank
    columns = [_column(frame.iloc[:, i], (formats or {}).get(frame.columns[i]), currency,
                       blank) for i in range(frame.shape[1])]
    head = "".join(f'<th class="{kind}">{_escape(_header(name))}</th>'
                   for name, (kind, _) in zip(frame.columns, columns, strict=True))
    rows = "".join("<tr>" + "".join(f'<td class="{kind}">{_escape(cells[r])}</td>'
                                    for kind, cells in columns) + "</tr>"
                   for r in range(len(frame)))
    return HTML(f'<div class="csmodels-table-wrap"><table class="csmodels-table">'
                f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>")


# a cell that reads as a figure: "USD 1.2M", "-3.5%", "+23", "1,335", "4.2 points"
_FIGURE = re.compile(r"(?:[A-Z]{3} )?[-+\u2212]?[$\u20ac\u00a3]?\d[\d,]*(?:\.\d+)?"
                     r"(?:%|[kMB]| points| days| years)?")
_NEUTRAL = {"n/a", "infinite", "none", "unknown", "not given", ""}


def _column(series, spec: str | None, currency: str, blank: str) -> tuple[str, list[str]]:
    """A column's alignment (``"num"`` or ``"text"``) and its cells as text."""
    from pandas import isna
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    from .style import words

    numeric = is_numeric_dtype(series) and not is_bool_dtype(series)
    cells = []
    for value in series.tolist():
        empty = not value.strip() if isinstance(value, str) else isna(value) is True
        if empty:
            cells.append(blank)
        elif numeric or spec:
            cells.append(_number(value, spec, currency))
        else:
            cells.append(str(words(value)))
    figures = [c for c in cells if c not in _NEUTRAL and c != blank]
    if not numeric and figures and all(_FIGURE.fullmatch(c) for c in figures):
        numeric = True
    return ("num" if numeric else "text"), cells


def _number(value, spec: str | None, currency: str) -> str:
    kinds = ("pct", "pct0", "money", "int", "nps", "ratio", "days", "num", "pp")
    if spec in kinds:
        return str(fmt(value, spec, currency))
    if spec:
        return format(value, spec)
    if isinstance(value, int | float) and float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}" if isinstance(value, int | float) else str(value)


def _header(name) -> str:
    from .style import words

    return str(words(name)) if isinstance(name, str) else str(name)


def _escape(text: str) -> str:
    import html

    return html.escape(str(text), quote=True)


def visible(text) -> str:
    """``text`` with every character that does not print as itself written as an escape
    (``\\n``, ``\\t``, ``\\x1b``, ``\\u202e``): line breaks, control and format characters
    (direction overrides, zero-width marks) and lone surrogates (from names that are not
    UTF-8). What is left is plain text, to escape for HTML where it goes into a page. The
    same escaping as the command line's messages (:func:`csmodels.exceptions.printable`).

    >>> print(visible("data\\n\\n{{7*7}}\\u202e\\x07"))
    data\\n\\n{{7*7}}\\u202e\\x07
    """
    return printable(str(text))


def is_sample(data_dir) -> bool:
    """Whether ``data_dir`` holds the book's bundled sample company: the same data files,
    byte for byte, as ``data/sample`` of the book's sources (its fingerprint). A chapter
    says what the sample's generator built in only when this is true, so a rerun on a
    reader's data never shows it.

    >>> is_sample("data/sample"), is_sample("data/cases/product-led")
    (True, False)
    """
    from pathlib import Path

    from ._book_root import book_root
    from .inputs import folder_fingerprint

    sample = book_root() / "data" / "sample"
    if data_dir is None or not sample.is_dir() or not Path(data_dir).is_dir():
        return False
    if Path(data_dir).resolve() == sample.resolve():
        return True
    return (_sizes(data_dir) == _sizes(sample)  # cheap: most folders differ here already
            and folder_fingerprint(data_dir) == folder_fingerprint(sample))


def _sizes(folder) -> list[tuple[str, int]]:
    """The name and size of each file a run reads from ``folder``."""
    from .inputs import input_files

    return sorted((path.name, path.stat().st_size) for path in input_files(folder))
