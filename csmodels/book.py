"""Small helpers the chapters share: glued text, number formats, notes on missing data.

Numbers reach the prose through myst-nb's ``glue``. The chapters glue text that
is already formatted (``104.2%``, ``n/a``), so a missing table gives a readable
"n/a" instead of a build error, and strings from a reader's data are glued as
plain text, which the page escapes.
"""

from __future__ import annotations

from .schema import TABLES


class Text(str):
    """A string whose repr is itself, so ``{glue:text}`` shows it without quotes.

    >>> repr(Text("Northwind <b>"))
    'Northwind <b>'
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


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


def missing_note(table: str) -> Text:
    """The sentence a chapter shows where an optional table is missing."""
    spec = TABLES[table]
    return Text(f"This company's data folder has no {table} table, so this section is "
                f"skipped. Add {table}.csv (columns {', '.join(spec.required_columns)}) to "
                "compute it.")
