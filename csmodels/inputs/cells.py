"""The cells of messy exports, turned into the canonical text form.

Every helper here turns text into the canonical *text* form (``YYYY-MM``,
``YYYY-MM-DD``, ``1234.5``) once per distinct value; the canonical parsers in
:mod:`csmodels.inputs.validate` then check the result, so a value this module cannot
read is reported with its row, never guessed.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..exceptions import DataError, Problem

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")
_YMD = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})")
_XYY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_MONTHS = {m.lower(): i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_MONTH_NAME = re.compile(r"([A-Za-z]{3,9})\.?[\s-]+(\d{4})")
_MONTH_NUM = re.compile(r"(\d{4})[-/.](\d{1,2})|(\d{1,2})[-/.](\d{4})")
_CURRENCY = re.compile(r"^(?:[A-Z]{3}|[$€£¥])\s*|\s*(?:[A-Z]{3}|[$€£¥])$")


def _per_distinct(text: pd.Series, convert) -> pd.Series:
    """``convert`` applied once per distinct value (exports repeat values a lot)."""
    codes, distinct = pd.factorize(text)  # the loader's text has "" for blanks, never NA
    converted = np.array([convert(v) for v in distinct], dtype=object)
    return pd.Series(converted[codes], index=text.index, dtype="string")


def date_order(text: pd.Series, order: str, where: str, column: str) -> str:
    """``dmy`` or ``mdy`` for a column of dates like 03/04/2024, decided from the data.

    A first field above 12 proves day-first, a second above 12 month-first. When
    every value fits both readings the column is ambiguous and the reader must
    say (``date_order`` in mapping.yml): the loader never guesses.

    >>> date_order(pd.Series(["31/01/2024", "02/03/2024"]), "auto", "f.csv", "date")
    'dmy'
    """
    if order != "auto":
        return order
    distinct = pd.Series(pd.unique(text), dtype="string")  # a column repeats its dates
    parts = distinct.str.extract(_XYY.pattern).dropna().astype(int)
    if parts.empty:
        return "dmy"  # no such dates: the order is never used
    day_first, month_first = (parts[0] > 12).any(), (parts[1] > 12).any()
    if day_first and month_first:
        raise DataError([Problem(where, "The dates mix day-first and month-first order.",
                                 "Export them in one order (best YYYY-MM-DD).", column=column)])
    if not (day_first or month_first):
        raise DataError([Problem(
            where, f"csmodels cannot tell whether dates such as {parts.iloc[0, 0]:02d}/"
            f"{parts.iloc[0, 1]:02d}/{parts.iloc[0, 2]} are day/month or month/day.",
            "Set 'date_order: dmy' (31/01/2024) or 'date_order: mdy' (01/31/2024) in "
            "mapping.yml.", column=column)])
    return "dmy" if day_first else "mdy"


def _date_text(value: str, order: str) -> str:
    if _ISO_DATE.fullmatch(value):
        return value
    if m := _DATE_TIME.fullmatch(value):
        return m.group(1)
    if m := _YMD.fullmatch(value):
        return f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"
    if m := _XYY.fullmatch(value):
        day, month = (m[1], m[2]) if order == "dmy" else (m[2], m[1])
        return f"{m[3]}-{int(month):02d}-{int(day):02d}"
    return value  # left as it is: the canonical check reports it


def normalise_dates(text: pd.Series, order: str, where: str, column: str) -> pd.Series:
    """Dates in common formats as ``YYYY-MM-DD`` text.

    >>> normalise_dates(pd.Series(["31/01/2024", "2024-02-01 00:00:00"]), "auto", "f", "d").tolist()
    ['2024-01-31', '2024-02-01']
    """
    order = date_order(text, order, where, column)
    return _per_distinct(text, lambda v: _date_text(v, order))


def _month_text(value: str, order: str) -> str:
    if m := _MONTH_NAME.fullmatch(value):
        number = _MONTHS.get(m[1][:3].lower())
        return f"{m[2]}-{number:02d}" if number else value
    if m := _MONTH_NUM.fullmatch(value):
        year, month = (m[1], m[2]) if m[1] else (m[4], m[3])
        return f"{year}-{int(month):02d}"
    date = _date_text(value, order)
    return date[:7] if _ISO_DATE.fullmatch(date) else value


def normalise_months(text: pd.Series, order: str, where: str, column: str) -> pd.Series:
    """Months like ``2024-01``, ``Jan 2024``, ``01/2024`` or a date in the month, as
    ``YYYY-MM``.

    >>> months = pd.Series(["Jan 2024", "2024-02-01", "03/2024"])
    >>> normalise_months(months, "auto", "f", "m").tolist()
    ['2024-01', '2024-02', '2024-03']
    """
    order = date_order(text, order, where, column)
    return _per_distinct(text, lambda v: _month_text(v, order))


def _amount_text(value: str, decimal: str, factor: float = 1.0) -> str:
    """One amount as plain number text (times ``factor``), or unchanged if unreadable."""
    bare = _CURRENCY.sub("", value.replace("\u00a0", " ").strip()).replace(" ", "")
    bare = bare.replace("'", "").replace("\u202f", "")
    thousands = "," if decimal == "." else "."
    grouped = rf"\d{{1,3}}(\{thousands}\d{{3}})+(\{decimal}\d+)?"
    plain = rf"\d+(\{decimal}\d+)?"
    if not (re.fullmatch(grouped, bare) or re.fullmatch(plain, bare)):
        return value  # the canonical check reports it with its row
    number = bare.replace(thousands, "").replace(decimal, ".")
    return number if factor == 1.0 else repr(float(number) * factor)


def normalise_amounts(text: pd.Series, decimal: str = ".", factor: float = 1.0) -> pd.Series:
    """Amounts with currency signs and thousands separators as plain numbers, times
    ``factor`` (12 turns MRR into ARR). Separators must group by thousands, so
    "1.234,50" with ``decimal="."`` is refused, not read as 1.2345.

    >>> normalise_amounts(pd.Series(["$1,234.50", "USD 7"])).tolist()
    ['1234.50', '7']
    >>> normalise_amounts(pd.Series(["1.234,50 €", "EUR 7"]), ",", 12).tolist()
    ['14814.0', '84.0']
    """
    return _per_distinct(text, lambda v: _amount_text(v, decimal, factor))
