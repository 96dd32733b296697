"""Writing safely: cells a spreadsheet will not run, and the draft of a ``mapping.yml``.

:func:`neutralise_formulas` is the one helper every CSV or spreadsheet the package
writes goes through, so no cell it writes can run as a spreadsheet formula.
:func:`mapping_template` drafts the ``mapping.yml`` of a folder of real exports
(``csmodels mapping-template``), every name from the reader's files written as a
quoted YAML scalar, never as YAML structure.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pandas as pd

from ..exceptions import DataError, Problem
from .files import SUFFIXES, TEXT_SUFFIXES, check_utf8_name, inside
from .limits import NotRegular, Unreadable, short
from .mapping import TableMapping, canonical_name
from .read import check_column_names, read_any
from .schema import TABLES, Table

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A text cell a spreadsheet will not run: a leading = + - @ tab or CR gets a quote.

    >>> safe_cell("=HYPERLINK(1)"), safe_cell("-x"), safe_cell("Acme"), safe_cell(-5)
    ("'=HYPERLINK(1)", "'-x", 'Acme', -5)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and headers) pass through :func:`safe_cell`;
    numbers stay numbers, so negative amounts are untouched. Use it before every
    ``to_csv`` or ``to_excel`` of data a reader may open in a spreadsheet.

    >>> neutralise_formulas(pd.DataFrame({"n": ["=1+1", "ok"], "x": [-1, 2]}))["n"].tolist()
    ["'=1+1", 'ok']
    """
    out = frame.copy()
    out.columns = [safe_cell(c) for c in out.columns]
    for name in out.columns:
        if out[name].dtype == object or pd.api.types.is_string_dtype(out[name]):
            out[name] = out[name].map(safe_cell, na_action="ignore")
    return out


# ---------------------------------------------------------------- mapping template

# Headers exports often use for a canonical column (after canonical_name).
_SYNONYMS = {"customer_id": "account_id", "account": "account_id", "id": "account_id",
             "account_name": "name", "customer_name": "name", "company": "name",
             "mrr": "arr", "period": "month", "seats": "licensed_seats", "stage": "status",
             "created": "created_date", "how_likely_to_recommend": "score", "nps": "score"}


def _headers(path: Path) -> tuple[list[str], pd.DataFrame]:
    """A file's header names as written, and its first rows as text."""
    frame = read_any(path, TableMapping(), nrows=200)
    check_column_names(frame.columns)
    return [str(c) for c in frame.columns], frame


def _guess_columns(headers: list[str], table: Table) -> dict[str, str]:
    """canonical -> header, by canonical spelling first, then by synonym."""
    found: dict[str, str] = {}
    names = {c.name for c in table.columns}
    for header in headers:
        key = canonical_name(header)
        key = key if key in names else _SYNONYMS.get(key, key)
        if key in names and key not in found:
            found[key] = header
    for header in headers:  # then "Response Date" for date, "Month Start" for month
        tokens = set(canonical_name(header).split("_"))
        for name in sorted(names - set(found)):
            if set(name.split("_")) <= tokens and header not in found.values():
                found[name] = header
    return found


def mapping_template(folder: str | Path) -> str:
    """A ``mapping.yml`` for ``folder``, each table matched to the file whose headers
    fit it best; check it, fill in what it could not tell and save it in the folder.

    >>> "amounts_are_mrr: true" in mapping_template("data/messy_export")
    True
    """
    folder = Path(folder)
    check_utf8_name(folder, "data folder")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES + TEXT_SUFFIXES
                   and inside(folder, p) and p.is_file())
    read, problems = {}, []
    for path in files:
        if not _utf8(path.name):
            problems.append(Problem(str(path), "The file's name is not UTF-8 text.",
                                    "Rename it with letters, digits, spaces, dots, dashes or "
                                    "underscores, or move it out of the folder."))
            continue
        try:
            read[path] = _headers(path)
        except Unreadable as err:
            problems.append(Problem(str(path), err.message, err.hint
                                    + " Or move the file out of the folder."))
        except NotRegular as err:
            problems.append(Problem(str(path), f"This is {err.kind}, not a file.",
                                    "Move it out of the folder."))
        except (ValueError, OSError) as err:
            problems.append(Problem(str(path), f"The file cannot be read ({short(err)}).",
                                    "Export it again, or move it out of the folder."))
    if problems:
        raise DataError(problems)
    lines = ["# csmodels column mapping: save as mapping.yml in the data folder.",
             "encoding: auto        # auto, utf-8, utf-16, cp1252, latin-1",
             "delimiter: auto       # auto, \",\", \";\", tab, \"|\"",
             f"decimal: \"{_guess_decimal(read)}\"          # decimal separator of amounts",
             "date_order: auto      # dmy (31/01/2024) or mdy (01/31/2024); auto decides from "
             "the data and stops if it cannot", "", "tables:"]
    used: set[Path] = set()
    for table in TABLES.values():
        lines += _template_entry(table, read, used)
    return "\n".join(lines) + "\n"


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _template_entry(table: Table, read: dict, used: set[Path]) -> list[str]:
    scores = {p: (len(_guess_columns(h, table)), difflib.SequenceMatcher(
        None, canonical_name(p.stem), table.name).ratio()) for p, (h, _) in read.items()
        if p not in used}
    best = max(scores, key=scores.get, default=None)
    matched = _guess_columns(read[best][0], table) if best else {}
    if best is None or not set(table.required_columns) <= set(matched):
        return [f"  # {table.name}: no file found with its columns "
                f"({', '.join(table.required_columns)})"]
    used.add(best)
    lines = [f"  {table.name}:", f"    file: {yaml_text(best.name)}"]
    if table.name == "arr_monthly" and canonical_name(matched["arr"]) == "mrr":
        lines.append("    amounts_are_mrr: true   # ARR = 12 x MRR")
    lines.append("    columns:")
    for column in table.columns:
        if column.name in matched:
            lines.append(f"      {column.name}: {yaml_text(matched[column.name])}")
        else:
            lines.append(f"      # {column.name}:   ({column.meaning}) not found")
    return lines


def yaml_text(text: str) -> str:
    """``text`` as a YAML scalar on one line (quoted when it needs to be)."""
    import yaml

    return yaml.safe_dump(text, default_style=None, width=10_000).strip().removesuffix("\n...")


def _guess_decimal(read: dict) -> str:
    """``,`` when amounts look like 1.234,50 or 12,5; else ``.``."""
    comma = re.compile(r"[^\d]*\d{1,3}(\.\d{3})*,\d{1,2}[^\d]*")
    for headers, frame in read.values():
        for header in headers:
            if canonical_name(header) in ("arr", "mrr", "amount"):
                values = frame[header].dropna().astype(str).head(50)
                if len(values) and values.str.fullmatch(comma.pattern).mean() > 0.5:
                    return ","
    return "."
