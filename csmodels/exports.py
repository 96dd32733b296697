"""Real exports: the column-mapping file and the parsing of messy cells.

A CRM or billing system rarely exports the canonical tables of
:mod:`csmodels.schema`. A ``mapping.yml`` in the data folder says how the
reader's files differ: which file holds which table, which column is which,
the delimiter, encoding, decimal separator and date order, and whether amounts
are monthly (MRR) rather than annual (ARR). With a mapping file present,
:func:`csmodels.io.load_company` reads the files through this module; without
one it expects the canonical format exactly (and the fast path applies).

Every helper here turns text into the canonical *text* form (``YYYY-MM``,
``YYYY-MM-DD``, ``1234.5``) once per distinct value; the canonical parsers in
:mod:`csmodels.io` then check the result, so a value this module cannot read
is reported with its row, never guessed.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .exceptions import DataError, Problem
from .limits import MAX_FILE_BYTES, NotRegular, YamlRefused, load_yaml, open_regular, size_text
from .schema import TABLES

MAPPING_FILE = "mapping.yml"
ENCODINGS = ("auto", "utf-8", "utf-16", "cp1252", "latin-1")
DELIMITERS = {"auto": None, ",": ",", ";": ";", "tab": "\t", "\t": "\t", "|": "|"}
DATE_ORDERS = ("auto", "dmy", "mdy")
# Bytes cp1252 leaves undefined: a file holding them is neither UTF-8 nor cp1252.
_CP1252_HOLES = frozenset(b"\x81\x8d\x8f\x90\x9d")


@dataclass(frozen=True)
class TableMapping:
    """How one of the reader's files maps to a canonical table."""

    file: str | None = None
    sheet: str | int | None = None
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> reader's name
    amounts_are_mrr: bool = False
    encoding: str = "auto"
    delimiter: str = "auto"
    decimal: str = "."
    date_order: str = "auto"


@dataclass(frozen=True)
class Mapping:
    """A data folder's ``mapping.yml``: defaults plus one :class:`TableMapping` per table."""

    tables: dict[str, TableMapping] = field(default_factory=dict)
    defaults: TableMapping = field(default_factory=TableMapping)

    def for_table(self, name: str) -> TableMapping:
        return self.tables.get(name, self.defaults)


_OPTIONS = {"encoding": ENCODINGS, "delimiter": tuple(DELIMITERS), "decimal": (".", ","),
            "date_order": DATE_ORDERS}


def load_mapping(folder: Path) -> Mapping | None:
    """The folder's ``mapping.yml`` checked, or ``None`` when there is none.

    >>> load_mapping(Path("data/messy_export")).for_table("arr_monthly").amounts_are_mrr
    True
    """
    path = Path(folder) / MAPPING_FILE
    if not os.path.lexists(path):
        return None
    where = str(path)
    if path.is_symlink() and not _leads_inside(path, Path(folder)):
        raise DataError([Problem(where, "The mapping is a link that leads out of the data "
                                 "folder (or nowhere).", "Put the mapping.yml file itself "
                                 "in the folder.")])
    try:
        raw = load_yaml(path) or {}
    except YamlRefused as err:
        raise DataError([Problem(where, f"The mapping is refused: {err}.",
                                 "Write each value out in full (csmodels mapping-template "
                                 "writes a valid mapping).")]) from None
    except NotRegular as err:
        raise DataError([Problem(where, f"The mapping is {err.kind}, not a file.",
                                 "Put a mapping.yml file here, or remove it.")]) from None
    except (yaml.YAMLError, UnicodeDecodeError, OSError, ValueError) as err:
        raise DataError([Problem(where, f"The mapping is not valid YAML ({_short(err)}).",
                                 "Fix it; csmodels mapping-template writes a valid one.")]
                        ) from None
    if not isinstance(raw, dict):
        raise DataError([Problem(where, "The mapping must be 'key: value' lines.",
                                 "See data/messy_export/mapping.yml for an example.")])
    bad_text = _first_bad_text(raw)
    if bad_text is not None:
        raise DataError([Problem(where, f"The mapping holds {bad_text}.",
                                 "Retype that value as plain text.")])
    problems: list[Problem] = []
    defaults = _table_mapping(raw, TableMapping(), where, "", problems, top=True)
    tables = {}
    entries = raw.get("tables") or {}
    if not isinstance(entries, dict):
        problems.append(Problem(where, f"'tables' must hold one entry per table, not "
                                f"{_shown(entries)}.", "Write it as in data/messy_export/"
                                "mapping.yml: 'tables:', then '  arr_monthly:' indented "
                                "under it."))
        entries = {}
    for name, entry in entries.items():
        if name not in TABLES:
            problems.append(Problem(str(path), f"Unknown table '{name}' under tables.",
                                    f"The tables are: {', '.join(TABLES)}."))
        elif not isinstance(entry, dict):
            problems.append(Problem(str(path), f"tables.{name} must hold 'key: value' lines.",
                                    "Indent file:, columns: and so on under it."))
        else:
            tables[name] = _table_mapping(entry, defaults, str(path), f"tables.{name}.",
                                          problems, table=name)
    if problems:
        raise DataError(problems)
    return Mapping(tables=tables, defaults=defaults)


def _leads_inside(path: Path, folder: Path) -> bool:
    try:
        return folder.resolve() in path.resolve(strict=True).parents
    except (OSError, RuntimeError):
        return False


def _table_mapping(raw: dict, base: TableMapping, where: str, prefix: str,
                   problems: list[Problem], top: bool = False,
                   table: str | None = None) -> TableMapping:
    """One table's entry (or the top-level defaults), checked key by key."""
    allowed = set(_OPTIONS) | ({"tables"} if top else {"file", "sheet", "columns",
                                                        "amounts_are_mrr"})
    for key in raw:
        if key not in allowed:
            problems.append(Problem(where, f"Unknown key '{prefix}{key}'.",
                                    f"The keys here are: {', '.join(sorted(allowed))}."))
    values = {k: str(raw[k]) if raw[k] is not None else "auto" for k in _OPTIONS if k in raw}
    for key, value in values.items():
        if value not in _OPTIONS[key]:
            problems.append(Problem(where, f"'{prefix}{key}' is {value!r}.",
                                    f"Use one of: {', '.join(map(repr, _OPTIONS[key]))}."))
    out = replace(base, **values)
    if top:
        return out
    columns = raw.get("columns") or {}
    if not isinstance(columns, dict):
        problems.append(Problem(where, f"'{prefix}columns' must map canonical names to yours.",
                                "Write lines like '  account_id: Account ID'."))
        columns = {}
    known = {c.name for c in TABLES[table].columns}
    for name in columns:
        if name not in known:
            problems.append(Problem(where, f"'{prefix}columns' names '{name}', which {table} "
                                    "does not have.", f"Its columns are: {', '.join(known)}."))
    for name, theirs in columns.items():
        if theirs is not None and not isinstance(theirs, str | int | float):
            problems.append(Problem(where, f"'{prefix}columns.{name}' is {_shown(theirs)}.",
                                    "Give the name of one of your columns, as text."))
    mrr = raw.get("amounts_are_mrr", False)
    if not isinstance(mrr, bool):
        problems.append(Problem(where, f"'{prefix}amounts_are_mrr' is {mrr!r}.",
                                "Use true or false."))
    file, sheet = raw.get("file"), raw.get("sheet")
    if file is not None and not (isinstance(file, str) and file.strip()):
        problems.append(Problem(where, f"'{prefix}file' is {_shown(file)}.",
                                "Give the file's name as text, e.g. 'file: Billing.csv'."))
        file = None
    if sheet is not None and not ((isinstance(sheet, str) and sheet) or (isinstance(sheet, int)
                                  and not isinstance(sheet, bool) and 0 <= sheet < 10_000)):
        problems.append(Problem(where, f"'{prefix}sheet' is {_shown(sheet)}.",
                                "Give one sheet: its name as text, or its position (0 for "
                                "the first)."))
        sheet = None
    return replace(out, file=file, sheet=sheet, amounts_are_mrr=mrr is True,
                   columns={str(k): str(v) for k, v in columns.items()
                            if isinstance(v, str | int | float)})


def _shown(value, limit: int = 60) -> str:
    """A YAML value for a message: its kind and a short repr."""
    kind = {list: "a list", dict: "a mapping", bool: "true/false"}.get(type(value))
    text = repr(value)
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"{kind} ({text})" if kind else text


def _first_bad_text(value) -> str | None:
    """A description of the first string (key or value) holding a lone surrogate or a
    control character, or None: such text cannot be a file or column name to show."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack += list(item.keys()) + list(item.values())
        elif isinstance(item, list):
            stack += item
        elif isinstance(item, str):
            for ch in item:
                if 0xD800 <= ord(ch) <= 0xDFFF or (ord(ch) < 32 and ch != "\t") or ord(ch) == 127:
                    return f"a character that is not text (U+{ord(ch):04X}) in {_shown(item)}"
    return None


def _short(err: Exception, limit: int = 160) -> str:
    text = " ".join(str(err).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------------- text files


class Unreadable(Exception):
    """A file that cannot be read as it is; ``message`` and ``hint`` for a Problem."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message, self.hint = message, hint


def decode(data: bytes, encoding: str = "auto") -> str:
    """The file's text, detecting UTF-8 (with or without BOM), UTF-16 and cp1252.

    >>> decode("Café".encode("cp1252")), decode("\\ufeffa;b".encode("utf-16-le"))
    ('Café', 'a;b')
    """
    if encoding != "auto":
        try:
            return data.decode({"utf-8": "utf-8-sig"}.get(encoding, encoding))
        except UnicodeDecodeError as err:
            raise Unreadable(f"The file is not {encoding} text (byte {err.start}).",
                             "Correct 'encoding' in mapping.yml, or use auto.") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if _CP1252_HOLES.isdisjoint(data):
        return data.decode("cp1252")
    raise Unreadable("csmodels cannot tell this file's encoding (it is neither UTF-8, UTF-16 "
                     "nor Windows-1252).", "Save it as 'CSV UTF-8', or set 'encoding' in "
                     "mapping.yml (for example latin-1).")


def sniff_delimiter(text: str) -> str:
    """The delimiter (``, ; tab |``) that splits the first lines into the same number
    of fields, preferring the most fields; an error when two fit equally well.

    >>> sniff_delimiter("Account ID;Month;MRR\\nA1;2024-01;1,5\\n")
    ';'
    """
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    fits = {}
    for delimiter in (",", ";", "\t", "|"):
        counts = {len(row) for row in csv.reader(lines, delimiter=delimiter)}
        if len(counts) == 1 and counts.pop() > 1:
            fits[delimiter] = len(next(csv.reader(lines[:1], delimiter=delimiter)))
    if not fits:
        return ","  # one column, or ragged rows the CSV reader will point at
    best = max(fits.values())
    winners = [d for d, n in fits.items() if n == best]
    if len(winners) > 1:
        names = " and ".join(repr(d) for d in winners)
        raise Unreadable(f"csmodels cannot tell the delimiter: {names} both split the rows "
                         "evenly.", "Set 'delimiter' in mapping.yml.")
    return winners[0]


def read_text_table(path: Path, options: TableMapping, nrows: int | None = None
                    ) -> pd.DataFrame:
    """A delimited text file as a frame of strings, encoding and delimiter detected."""
    with open_regular(path) as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise Unreadable(f"The file is larger than {size_text(MAX_FILE_BYTES)}.",
                         "Keep only the rows the book needs.")
    if not data.strip():
        raise Unreadable("The file is empty.", "Export the table again, with its header row.")
    text = decode(data, options.encoding)
    if "\x00" in text:
        raise Unreadable("This is not a text file (it holds binary data).",
                         "Export the table as CSV (UTF-8).")
    delimiter = DELIMITERS[options.delimiter] or sniff_delimiter(text)
    try:
        return pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                           skip_blank_lines=True, nrows=nrows)
    except (pd.errors.ParserError, csv.Error) as err:
        raise Unreadable(f"The file is not well-formed CSV ({_short(err)}).",
                         "Check quoting and the number of fields on that line.") from None


# ------------------------------------------------------------------------------ cells

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
