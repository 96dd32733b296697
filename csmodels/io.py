"""Reading a company's data folder and checking it against :mod:`csmodels.schema`.

:func:`load_company` reads every table it finds, checks each against its spec and
either returns a :class:`Company` of clean, typed tables or raises one
:class:`~csmodels.exceptions.DataError` listing every problem (file, column, rows
and what to do). It only ever reads: the folder is never written to.
"""

from __future__ import annotations

import csv
import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .exceptions import DataError, Problem
from .fastpath import read_clean_table
from .schema import DATE_ORDER, TABLES, Column, Table

SUFFIXES = (".csv", ".parquet", ".xlsx")
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
# Dates outside this window are typing errors, not customers.
_FIRST_YEAR, _LAST_YEAR = 1970, 2100


@dataclass(frozen=True)
class Company:
    """A company's validated input tables.

    Every table is a :class:`pandas.DataFrame` with the canonical columns of
    :data:`csmodels.schema.TABLES` (optional columns the file lacked are present
    and empty; their names are in ``absent_columns``), or ``None`` when the folder
    had no such file. Months are ``period[M]``, dates ``datetime64``, amounts floats.
    """

    folder: Path
    arr_monthly: pd.DataFrame
    accounts: pd.DataFrame | None = None
    nps_responses: pd.DataFrame | None = None
    usage_monthly: pd.DataFrame | None = None
    onboarding: pd.DataFrame | None = None
    qbrs: pd.DataFrame | None = None
    opportunities: pd.DataFrame | None = None
    handoffs: pd.DataFrame | None = None
    absent_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def has(self, table: str, column: str | None = None) -> bool:
        """Whether the folder had ``table`` (and, if given, a ``column`` in it)."""
        if getattr(self, table) is None:
            return False
        return column is None or column not in self.absent_columns.get(table, ())

    @property
    def missing_tables(self) -> tuple[str, ...]:
        """The optional tables the folder did not have."""
        return tuple(name for name in TABLES if getattr(self, name) is None)


def load_company(folder: str | Path) -> Company:
    """Read and validate every input table in ``folder``.

    Parameters
    ----------
    folder : str or Path
        A folder holding ``arr_monthly.csv`` and any of the optional tables, each
        as ``.csv`` (UTF-8), ``.parquet`` or ``.xlsx``.

    Returns
    -------
    Company

    Raises
    ------
    DataError
        With one :class:`~csmodels.exceptions.Problem` per thing to fix.

    Examples
    --------
    >>> from csmodels import load_company
    >>> company = load_company("data/sample")
    >>> company.arr_monthly.columns.tolist()
    ['account_id', 'month', 'arr']
    """
    folder = Path(folder)
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is a file, not a folder"
        raise DataError([Problem(str(folder), f"The data folder {what}.",
                                 "Give the folder that holds arr_monthly.csv.")])
    problems: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    absent: dict[str, tuple[str, ...]] = {}
    for table in TABLES.values():
        path = _find_table_file(folder, table, problems)
        if path is None:
            continue
        clean = read_clean_table(path, table) if path.suffix == ".csv" else None
        if clean is not None:  # the fast path; anything unusual takes the general one below
            tables[table.name], present = clean
            absent[table.name] = tuple(c.name for c in table.columns if c.name not in present)
            continue
        raw = _read_raw(path, problems)
        if raw is None:
            continue
        parsed = _check_table(raw, table, path, problems)
        if parsed is not None:
            tables[table.name] = parsed
            absent[table.name] = tuple(c.name for c in table.columns if c.name not in raw.columns)
    _check_across_tables(tables, folder, problems)
    if problems:
        raise DataError(problems)
    return Company(folder=folder, absent_columns=absent, **tables)


# --------------------------------------------------------------------------- files


def _find_table_file(folder: Path, table: Table, problems: list[Problem]) -> Path | None:
    candidates = [folder / f"{table.name}{suffix}" for suffix in SUFFIXES]
    found = [p for p in candidates if p.exists()]
    if not found:
        if table.required:
            others = sorted(p.name for p in folder.iterdir() if p.suffix in SUFFIXES)
            close = difflib.get_close_matches(f"{table.name}.csv", others, n=1, cutoff=0.6)
            hint = f" Is '{close[0]}' meant to be it? Rename it." if close else ""
            problems.append(Problem(
                str(folder / f"{table.name}.csv"),
                f"The required table {table.name} is missing (it feeds {table.feeds}).",
                f"Add {table.name}.csv with columns {', '.join(table.required_columns)}.{hint}",
            ))
        return None
    if len(found) > 1:
        problems.append(Problem(
            str(found[0]), f"The table {table.name} is given twice: "
            + " and ".join(p.name for p in found) + ".",
            "Keep one of them.",
        ))
        return None
    path = found[0]
    if not path.is_file():
        problems.append(Problem(str(path), "This is a folder, not a file.",
                                f"Put the {table.name} table itself here, as a file."))
        return None
    return path


def _read_raw(path: Path, problems: list[Problem]) -> pd.DataFrame | None:
    """The file's cells as stripped strings (blank for missing), or None on failure."""
    try:
        if path.suffix == ".csv":
            frame = _read_csv(path)
        elif path.suffix == ".parquet":
            frame = pd.read_parquet(path).astype("string").fillna("")
        else:
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
    except _Unreadable as err:
        problems.append(Problem(str(path), err.message, err.hint))
        return None
    except ImportError as err:
        problems.append(Problem(str(path), f"Reading this kind of file needs a package: {err}.",
                                "Save the table as CSV (UTF-8) instead."))
        return None
    except (ValueError, OSError) as err:  # pyarrow and openpyxl raise these on corrupt files
        problems.append(Problem(str(path), f"The file cannot be read ({_short(err)}).",
                                "Export the table again, as CSV (UTF-8)."))
        return None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    duplicated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if duplicated:
        problems.append(Problem(str(path), f"Column names appear twice: {', '.join(duplicated)}.",
                                "Give every column a different name."))
        return None
    return frame.apply(lambda s: s.astype("string").str.strip().fillna(""))


class _Unreadable(Exception):
    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message, self.hint = message, hint


def _read_csv(path: Path) -> pd.DataFrame:
    with path.open("rb") as fh:
        head = fh.read(65536)
    if not head.strip():
        raise _Unreadable("The file is empty.", "Export the table again, with its header row.")
    if b"\x00" in head:
        raise _Unreadable("This is not a text file (it holds binary data).",
                          "Export the table as CSV (UTF-8).")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                            skip_blank_lines=True)
    except UnicodeDecodeError as err:
        raise _Unreadable(f"The file is not UTF-8 text (byte {err.start} cannot be read).",
                          "Save it as 'CSV UTF-8' (in Excel: Save As, CSV UTF-8).") from None
    except pd.errors.ParserError as err:
        raise _Unreadable(f"The file is not well-formed CSV ({_short(err)}).",
                          "Check quoting and the number of fields on that line.") from None
    except csv.Error as err:
        raise _Unreadable(f"The file is not well-formed CSV ({_short(err)}).",
                          "Export the table again as CSV.") from None
    if len(frame.columns) == 1:
        delimiter = _guess_other_delimiter(head)
        if delimiter:
            raise _Unreadable(f"The columns are separated by {delimiter}, not by commas.",
                              "Export the table again with comma separators.")
    return frame


def _guess_other_delimiter(head: bytes) -> str | None:
    first_line = head.splitlines()[0].decode("utf-8", "replace")
    names = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}
    return next((name for d, name in names.items() if d in first_line), None)


def _short(err: Exception, limit: int = 160) -> str:
    text = " ".join(str(err).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -------------------------------------------------------------------------- tables


def _check_table(raw: pd.DataFrame, table: Table, path: Path,
                 problems: list[Problem]) -> pd.DataFrame | None:
    missing = [c for c in table.required_columns if c not in raw.columns]
    if missing:
        for name in missing:
            close = difflib.get_close_matches(name, list(raw.columns), n=1, cutoff=0.6)
            hint = (f"Rename the column '{close[0]}' to '{name}'." if close
                    else f"Add a column '{name}' ({table.column(name).meaning}).")
            problems.append(Problem(str(path), "A required column is missing.", hint, column=name))
        return None
    if raw.empty and table.required:
        problems.append(Problem(str(path), "The file has a header but no rows.",
                                "Export the table again with its data."))
        return None
    before = len(problems)
    out = pd.DataFrame(index=raw.index)
    for column in table.columns:
        text = raw[column.name] if column.name in raw.columns else pd.Series(
            "", index=raw.index, dtype="string")
        out[column.name] = _parse(text, column, path, problems)
    _check_key(raw, table, path, problems)
    for name, earlier, later in DATE_ORDER:
        if name == table.name and len(problems) == before:
            _check_order(out, earlier, later, path, problems)
    return out.reset_index(drop=True) if len(problems) == before else None


def _rows(mask: pd.Series | np.ndarray) -> tuple[int, ...]:
    """Spreadsheet row numbers of the True entries (header is row 1)."""
    return tuple(int(i) + 2 for i in np.flatnonzero(np.asarray(mask)))


def _examples(values: pd.Series, n: int = 3) -> str:
    shown = [repr(v if len(v) <= 30 else v[:29] + "…") for v in values.drop_duplicates()[:n]]
    return ", ".join(shown)


def _parse(text: pd.Series, column: Column, path: Path, problems: list[Problem]) -> pd.Series:
    blank = text == ""
    if blank.any() and not column.blank_ok:
        problems.append(Problem(str(path), "Some values are blank.",
                                f"Fill them in ({column.meaning}) or remove those rows.",
                                column=column.name, rows=_rows(blank)))
    value, bad, rule = _PARSERS[column.kind](text, column)
    bad = bad & ~blank
    if bad.any():
        problems.append(Problem(
            str(path), f"Some values are not {rule} (found {_examples(text[bad])}).",
            "Correct them or remove those rows.", column=column.name, rows=_rows(bad)))
    return value


def _parse_text(text: pd.Series, column: Column):
    return text.mask(text == ""), pd.Series(False, index=text.index), "text"


def _parse_month(text: pd.Series, column: Column):
    ok = text.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])").fillna(False).astype(bool)
    years = pd.to_numeric(text.str[:4], errors="coerce")
    ok &= years.between(_FIRST_YEAR, _LAST_YEAR)
    months = pd.to_datetime(text.where(ok), format="%Y-%m", errors="coerce").dt.to_period("M")
    return months, ~ok, f"months written YYYY-MM between {_FIRST_YEAR} and {_LAST_YEAR}"


def _parse_date(text: pd.Series, column: Column):
    # one unit whatever the values (pandas infers seconds for an all-blank column)
    dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce").astype("datetime64[us]")
    bad = dates.isna() | ~dates.dt.year.between(_FIRST_YEAR, _LAST_YEAR)
    return dates.where(~bad), bad, (
        f"real dates written YYYY-MM-DD between {_FIRST_YEAR} and {_LAST_YEAR}")


def _parse_number(text: pd.Series):
    numbers = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
    return numbers, numbers.isna() | ~np.isfinite(numbers.fillna(0))


def _parse_amount(text: pd.Series, column: Column):
    numbers, bad = _parse_number(text)
    bad |= numbers < 0
    return numbers.where(~bad), bad, "finite numbers >= 0 (no currency signs or separators)"


def _parse_count(text: pd.Series, column: Column, top: float = np.inf):
    numbers, bad = _parse_number(text)
    bad |= (numbers < 0) | (numbers > top) | (numbers != np.floor(numbers))
    rule = "whole numbers from 0 to 10" if top == 10 else "whole numbers >= 0"
    return numbers.where(~bad).astype("Int64"), bad, rule


def _parse_score(text: pd.Series, column: Column):
    return _parse_count(text, column, top=10)


def _parse_bool(text: pd.Series, column: Column):
    lower = text.str.lower()
    value = pd.Series(pd.NA, index=text.index, dtype="boolean")
    value[lower.isin(_TRUE)] = True
    value[lower.isin(_FALSE)] = False
    return value, value.isna(), "true or false"


def _parse_choice(text: pd.Series, column: Column):
    lower = text.str.lower()
    bad = ~lower.isin(column.choices)
    return lower.where(~bad), bad, "one of " + ", ".join(column.choices)


_PARSERS = {
    "id": _parse_text, "text": _parse_text, "month": _parse_month, "date": _parse_date,
    "amount": _parse_amount, "count": _parse_count, "score": _parse_score,
    "bool": _parse_bool, "choice": _parse_choice,
}


def _check_key(raw: pd.DataFrame, table: Table, path: Path, problems: list[Problem]) -> None:
    if not table.key:
        return
    duplicated = raw.duplicated(subset=list(table.key), keep=False)
    if duplicated.any():
        key = " + ".join(table.key)
        problems.append(Problem(
            str(path), f"The same {key} appears on more than one row.",
            f"Keep one row per {key} (add the amounts up if they are parts of one).",
            column=table.key[-1], rows=_rows(duplicated)))


def _check_order(frame: pd.DataFrame, earlier: str, later: str, path: Path,
                 problems: list[Problem]) -> None:
    backwards = frame[later] < frame[earlier]  # NaT compares False: blanks pass
    if backwards.any():
        problems.append(Problem(
            str(path), f"The {later} is before the {earlier}.",
            "Correct the dates (one of them is probably mistyped).",
            column=later, rows=_rows(backwards)))


def _check_across_tables(tables: dict[str, pd.DataFrame], folder: Path,
                         problems: list[Problem]) -> None:
    """Every account_id used anywhere must be in accounts, when accounts is given."""
    if "accounts" not in tables:
        return
    known = pd.Index(tables["accounts"]["account_id"].dropna().unique())
    for name, frame in tables.items():
        if name == "accounts" or "account_id" not in frame:
            continue
        ids = frame["account_id"]
        unknown = ids.notna() & ~ids.isin(known)
        if unknown.any():
            problems.append(Problem(
                str(_path_of(folder, name)),
                f"Some account ids are not in accounts (found {_examples(ids[unknown])}).",
                "Add those accounts to accounts, or correct the ids.",
                column="account_id", rows=_rows(unknown)))


def _path_of(folder: Path, table: str) -> Path:
    return next((folder / f"{table}{s}" for s in SUFFIXES if (folder / f"{table}{s}").exists()),
                folder / f"{table}.csv")


def iter_table_files(folder: str | Path) -> Iterator[Path]:
    """The input-table files present in ``folder``, in schema order."""
    folder = Path(folder)
    for name in TABLES:
        yield from (p for p in (folder / f"{name}{s}" for s in SUFFIXES) if p.is_file())
