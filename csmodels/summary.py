"""Frozen summaries: a chapter's figures with their label, unit and format, in one place.

A chapter's model module returns one :class:`Summary`: a frozen dataclass whose
fields are declared with :func:`figure`, so each figure carries its label and
unit. The chapter glues the summary (:meth:`Summary.glue`), the command line
prints it (:meth:`Summary.rows`, :meth:`Summary.to_dict`) and the tests read it,
so the three cannot disagree, and adding a figure is one field in one place.

A field declared with :func:`section` holds another :class:`Summary` (a section
of a chapter), glued and printed with its own name as a prefix, or ``None`` where
the data cannot support the section; one declared with :func:`drawn` holds what the
chapter draws (a table, a model), which is not a figure. A figure whose value is ``None`` is one
the data cannot give: it is not glued (the page then drops the prose that would
show it, :mod:`csmodels.needs`), printed as ``n/a`` and written as JSON ``null``.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Example(Summary):
...     nrr: float | None = figure("Net revenue retention", "ratio")
...     arr: float = figure("ARR", "money")
...     accounts: int = figure("Paying accounts", "count")
>>> s = Example(nrr=1.04359072295, arr=16981899.240000002, accounts=1335)
>>> s.to_dict()
{'nrr': 1.043591, 'arr': 16981899.24, 'accounts': 1335}
>>> [str(s.text(name)) for name in ("nrr", "arr", "accounts")]
['104.4%', 'USD 17.0M', '1,335']
>>> [(label, shown) for _, label, shown in s.rows()]
[('Net revenue retention', '104.4%'), ('ARR', '16,981,899'), ('Paying accounts', '1,335')]
>>> dict((label, shown) for _, label, shown in s.rows("EUR"))["ARR"]
'EUR 17.0M'
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .book import Text, fmt

# unit: (kind of csmodels.book.fmt for the prose, format spec for the terminal,
#        decimals kept in JSON; None keeps the value as it is)
UNITS: dict[str, tuple[str | None, str | None, int | None]] = {
    "ratio": ("pct", ".1%", 6),    # a fraction shown as a percentage (NRR 1.042 -> 104.2%)
    "share": ("pct0", ".0%", 6),   # a fraction shown as a whole percentage
    "points": ("pp", "+.1%", 6),   # a difference of two fractions, in percentage points
    "money": ("money", ",.0f", 2),  # an amount in the company's currency, to the cent in JSON
    "count": ("int", ",d", None),  # a whole number of things
    "nps": ("nps", "+.0f", 2),     # a Net Promoter Score, -100..100
    "days": ("days", ".0f", 2),    # a duration in days
    "number": ("ratio", ",.2f", 6),  # any other number (a score, an AUC, a parameter)
    "text": (None, None, None),    # a word or a month, shown as text
}


def figure(label: str, unit: str, *, default: Any = None, help: str = "") -> Any:
    """A summary field: ``label`` for people, ``unit`` one of :data:`UNITS`.

    ``help`` says what the figure is where the label alone does not (the command
    line's ``--help`` and the data dictionary show it).
    """
    if unit not in UNITS:
        raise ValueError(f"unit {unit!r} is not one of {sorted(UNITS)}")
    return dataclasses.field(default=default,
                             metadata={"label": label, "unit": unit, "help": help})


def section(help: str = "", *, flat: bool = False) -> Any:
    """A summary field holding another :class:`Summary` (one section of a chapter),
    or ``None`` where the data cannot support the section.

    A section's figures are glued and printed as ``<section>_<figure>``; a ``flat`` one's
    under their own names (settings the prose names on their own, such as ``nps_window``).
    JSON nests both under the section's name.
    """
    return dataclasses.field(default=None,
                             metadata={"section": True, "flat": flat, "help": help})


def drawn() -> Any:
    """A summary field that is not a figure: a table or model the chapter draws or shows.

    It is left out of the figures (glued, printed, written as JSON), of ``repr`` and of
    equality, so two summaries with the same figures compare equal.
    """
    return dataclasses.field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Summary:
    """Base of the chapters' summaries (subclass it as a frozen dataclass)."""

    @classmethod
    def fields(cls) -> tuple[dataclasses.Field, ...]:
        """The declared figures and sections, in order."""
        return tuple(f for f in dataclasses.fields(cls)
                     if "unit" in f.metadata or "section" in f.metadata)

    def _figures(self, prefix: str = "") -> Iterator[tuple[str, dict, Any]]:
        for f in self.fields():
            value = getattr(self, f.name)
            if isinstance(value, Summary):
                yield from value._figures(prefix if f.metadata.get("flat")
                                          else f"{prefix}{f.name}_")
            elif "unit" in f.metadata:
                yield prefix + f.name, f.metadata, value

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values: rounded by unit, ``None`` where undefined; sections nested."""
        out: dict[str, Any] = {}
        for f in self.fields():
            value = getattr(self, f.name)
            if isinstance(value, Summary):
                out[f.name] = value.to_dict()
            elif value is None or "unit" not in f.metadata:
                out[f.name] = value
            else:
                out[f.name] = _json_value(value, UNITS[f.metadata["unit"]][2])
        return out

    def text(self, name: str, currency: str = "USD") -> Text:
        """One figure formatted for the prose (``name`` may be ``section_figure``)."""
        for key, meta, value in self._figures():
            if key == name:
                return _prose(value, meta["unit"], currency)
        raise KeyError(f"{type(self).__name__} has no figure {name!r}")

    def rows(self, currency: str | None = None) -> Iterator[tuple[str, str, str]]:
        """``(key, label, value as shown in a terminal)`` for every figure, ``n/a`` if None.

        Points show as the book writes them (``-24.6 points``, not a percentage); with a
        ``currency``, amounts of money too (``USD 101.5k``, as the summary's text figures
        and the prose show them), else in full (``101,478``).
        """
        for key, meta, value in self._figures():
            unit, spec = meta["unit"], UNITS[meta["unit"]][1]
            if value is None:
                shown = "n/a"
            elif unit == "points" or (unit == "money" and currency):
                shown = str(_prose(value, unit, currency or "USD"))
            else:
                shown = str(value) if spec is None else format(value, spec)
            yield key, meta["label"], shown

    def glue(self, glue: Callable[..., Any], prefix: str = "", currency: str = "USD") -> list[str]:
        """Glue every figure the data gave as text under ``prefix + key``.

        ``glue`` is myst-nb's ``glue`` (passed in, so the package does not import
        myst-nb). Returns the keys glued; a ``None`` figure is left unglued.
        """
        glued = []
        for key, meta, value in self._figures():
            if value is None:
                continue
            glue(prefix + key, _prose(value, meta["unit"], currency), display=False)
            glued.append(prefix + key)
        return glued


def _prose(value: Any, unit: str, currency: str) -> Text:
    kind = UNITS[unit][0]
    if kind is None:
        return Text(str(value))
    return fmt(value, kind, currency=currency)


def _json_value(value: Any, decimals: int | None) -> Any:
    if isinstance(value, bool) or not isinstance(value, float):
        return value
    if not math.isfinite(value):
        return None
    if decimals is None:
        return value
    return round(value, decimals) + 0.0  # + 0.0 turns a rounded -0.0 into 0.0
