"""Small helpers the chapters share: glued text, number formats, notes on missing data.

Numbers reach the prose through myst-nb's ``glue``. The chapters glue text that
is already formatted (``104.2%``), and strings from a reader's data are glued as
text (:class:`Text`), which the page escapes. A figure the data cannot give is not
glued at all: the section says why in one sentence (:mod:`csmodels.needs`) and a
rerun drops the prose that would have shown it.
"""

from __future__ import annotations

from .exceptions import printable
from .schema import TABLES


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


def table(frame, formats: dict[str, str] | None = None, index: bool = False):
    """A DataFrame as an HTML table for a page: text escaped, no truncation, no row
    numbers unless ``index``; ``formats`` maps a column to a format spec (``",.0f"``).

    >>> import pandas as pd
    >>> "&lt;b&gt;" in table(pd.DataFrame({"name": ["<b>x</b>"]})).data
    True
    """
    from IPython.display import HTML

    formatters = {col: (lambda v, spec=spec: "" if v != v else format(v, spec))
                  for col, spec in (formats or {}).items()}
    return HTML(frame.to_html(index=index, escape=True, na_rep="", border=0,
                              formatters=formatters, classes="csmodels-table"))


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
