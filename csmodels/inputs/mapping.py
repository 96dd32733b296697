"""The mapping of messy exports: the ``mapping.yml`` file, and applying it to a table.

A CRM or billing system rarely exports the canonical tables of
:mod:`csmodels.inputs.schema`. A ``mapping.yml`` in the data folder says how the
reader's files differ: which file holds which table, which column is which,
the delimiter, encoding, decimal separator and date order, and whether amounts
are monthly (MRR) rather than annual (ARR). :func:`load_mapping` reads and checks it
(the finder and the readers then follow it); :func:`apply_mapping` renames a table's
columns to the canonical ones and puts its cells in canonical form
(:mod:`csmodels.inputs.cells`). Without a mapping file the loader expects the
canonical format exactly (and the fast path applies).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from .._checks import is_number
from ..exceptions import DataError, Problem
from . import cells
from .schema import TABLES, Column, Table
from .yamlfile import YamlHints, first_refused_character, read_yaml_mapping

MAPPING_FILE = "mapping.yml"
ENCODINGS = ("auto", "utf-8", "utf-16", "cp1252", "latin-1")
DELIMITERS = {"auto": None, ",": ",", ";": ";", "tab": "\t", "\t": "\t", "|": "|"}
DATE_ORDERS = ("auto", "dmy", "mdy")


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


_HINTS = YamlHints(
    missing="Put a mapping.yml file here, or remove it.",
    not_a_file="Put a mapping.yml file here, or remove it.",
    refused="Write each value out in full (csmodels mapping-template writes a valid mapping).",
    invalid="Fix it; csmodels mapping-template writes a valid one.",
    not_a_mapping=("The mapping must be 'key: value' lines.",
                   "See data/messy_export/mapping.yml for an example."))

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
    raw = read_yaml_mapping(path, "mapping", _HINTS)
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
    if sheet is not None and not ((isinstance(sheet, str) and sheet)
                                  or is_number(sheet, low=0, below=10_000, whole=True)):
        problems.append(Problem(where, f"'{prefix}sheet' is {_shown(sheet)}.",
                                "Give one sheet: its name as text, or its position (0 for "
                                "the first)."))
        sheet = None
    sheet = int(sheet) if sheet is not None and not isinstance(sheet, str) else sheet
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
    found = first_refused_character(value, lambda ch: 0xD800 <= ord(ch) <= 0xDFFF
                                    or (ord(ch) < 32 and ch != "\t") or ord(ch) == 127)
    if found is None:
        return None
    return f"a character that is not text (U+{ord(found[0]):04X}) in {_shown(found[1])}"


# ---------------------------------------------------------------- applying it


def canonical_name(header: str) -> str:
    """A header as a canonical column name would be written.

    >>> canonical_name(" Account ID "), canonical_name("Contract-Start")
    ('account_id', 'contract_start')
    """
    return "_".join(re.split(r"[\s\-_.]+", header.strip().lower())).strip("_")


def apply_mapping(raw: pd.DataFrame, table: Table, options: TableMapping, path: Path,
                  problems: list[Problem]) -> pd.DataFrame | None:
    """Rename the reader's columns to the canonical ones and normalise their cells."""
    theirs = {str(v).strip().lower(): k for k, v in options.columns.items()}
    missing = [v for v in options.columns.values() if v.strip().lower() not in raw.columns]
    for name in missing:
        problems.append(Problem(str(path), f"mapping.yml names a column {name!r} this file "
                                "does not have.", "Its columns are: "
                                + ", ".join(map(repr, raw.columns)) + "."))
    renamed = raw.rename(columns=lambda c: theirs.get(c, canonical_name(c)))
    if missing or renamed.columns.duplicated().any():
        if not missing:
            problems.append(Problem(str(path), "Two columns map to the same canonical name.",
                                    "Map each column once in mapping.yml."))
        return None
    try:
        for column in table.columns:
            if column.name in renamed.columns:
                renamed[column.name] = _normalise(renamed[column.name], column, table, options,
                                                  path)
    except DataError as err:
        problems.extend(err.problems)
        return None
    return renamed


def _normalise(text: pd.Series, column: Column, table: Table, options: TableMapping,
               path: Path) -> pd.Series:
    if column.kind == "date":
        return cells.normalise_dates(text, options.date_order, str(path), column.name)
    if column.kind == "month":
        return cells.normalise_months(text, options.date_order, str(path), column.name)
    if column.kind == "amount":
        mrr = options.amounts_are_mrr and table.name == "arr_monthly"
        return cells.normalise_amounts(text, options.decimal, 12.0 if mrr else 1.0)
    if column.kind == "count":
        return cells.normalise_amounts(text, options.decimal).str.replace(
            r"\.0$", "", regex=True)
    return text
