"""Validating a table against its spec in :mod:`csmodels.inputs.schema`.

:func:`check_table` parses the text a reader gave (every cell a string) column by
column into typed values (months ``period[M]``, dates ``datetime64``, amounts floats,
counts ``Int64``), and records one :class:`~csmodels.exceptions.Problem` per column that
breaks its rule, with its rows as a spreadsheet numbers them and a few examples. Keys
must be unique and paired dates in order; :func:`check_across_tables` checks account
ids against ``accounts`` and :func:`check_panel_size` the memory the ARR panel will take.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import Problem
from .limits import FIRST_YEAR, LAST_YEAR, MAX_AMOUNT, MAX_COUNT, MAX_PANEL_CELLS, size_text
from .months import month_problems
from .schema import DATE_ORDER, Column, Table

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def check_table(raw: pd.DataFrame, table: Table, path: Path,
                problems: list[Problem]) -> pd.DataFrame | None:
    missing = [c for c in table.required_columns if c not in raw.columns]
    if missing:
        for name in missing:
            close = difflib.get_close_matches(name, list(raw.columns), n=1, cutoff=0.6)
            hint = (f"Rename the column '{close[0]}' to '{name}'." if close
                    else f"Add a column '{name}' ({table.column(name).meaning}).")
            problems.append(Problem(str(path), "A required column is missing.", hint, column=name))
        return None
    if _misspelt_optional(raw, table, path, problems):
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


# How alike an unknown column must be to an absent optional one to be taken for a
# misspelling of it (difflib's ratio): licenced_seats/licensed_seats is 0.93. The book's
# own choice, high enough that the extra columns exports carry pass.
MISSPELT_RATIO = 0.85


def _misspelt_optional(raw: pd.DataFrame, table: Table, path: Path,
                       problems: list[Problem]) -> bool:
    """Refuse an unknown column that is close to an optional column the file lacks: the
    loader would otherwise drop it and read the optional column as absent."""
    known = {c.name for c in table.columns}
    absent = [c.name for c in table.columns if not c.required and c.name not in raw.columns]
    found = False
    for name in (str(c) for c in raw.columns if c not in known):
        close = difflib.get_close_matches(name, absent, n=1, cutoff=MISSPELT_RATIO)
        if close:
            found = True
            problems.append(Problem(
                str(path), f"The column '{name}' is not one csmodels reads: did you mean "
                f"{close[0]}?", f"Rename it to '{close[0]}', or map it in mapping.yml.",
                column=name))
    return found


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
    ok &= years.between(FIRST_YEAR, LAST_YEAR)
    months = pd.to_datetime(text.where(ok), format="%Y-%m", errors="coerce").dt.to_period("M")
    return months, ~ok, f"months written YYYY-MM between {FIRST_YEAR} and {LAST_YEAR}"


def _parse_date(text: pd.Series, column: Column):
    # one unit whatever the values (pandas infers seconds for an all-blank column)
    dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce").astype("datetime64[us]")
    bad = dates.isna() | ~dates.dt.year.between(FIRST_YEAR, LAST_YEAR)
    return dates.where(~bad), bad, (
        f"real dates written YYYY-MM-DD between {FIRST_YEAR} and {LAST_YEAR}")


def _parse_number(text: pd.Series):
    numbers = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
    return numbers, numbers.isna() | ~np.isfinite(numbers.fillna(0))


def _parse_amount(text: pd.Series, column: Column):
    numbers, bad = _parse_number(text)
    bad |= (numbers <= 0) if column.positive else (numbers < 0)
    bad |= numbers > MAX_AMOUNT  # above it, sums overflow: a typing error, not revenue
    low = "> 0" if column.positive else ">= 0"
    return numbers.where(~bad), bad, (f"finite numbers {low}, at most {MAX_AMOUNT:.0e} (no "
                                      "currency signs or separators)")


def _parse_count(text: pd.Series, column: Column, top: float = np.inf):
    numbers, bad = _parse_number(text)
    low = 1 if column.positive else 0
    # a count above a trillion is a typing error (and would overflow the integer type)
    bad |= (numbers < low) | (numbers > min(top, MAX_COUNT)) | (numbers != np.floor(numbers))
    rule = (f"whole numbers from {low} to 10" if top == 10
            else f"whole numbers from {low} to a trillion")
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


def check_across_tables(tables: dict[str, pd.DataFrame], paths: dict[str, Path],
                        problems: list[Problem]) -> None:
    """Every account_id used anywhere must be in accounts, when accounts is given;
    ``paths`` holds each table's file, named in the problems."""
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
                str(paths[name]),
                f"Some account ids are not in accounts (found {_examples(ids[unknown])}).",
                "Add those accounts to accounts, or correct the ids.",
                column="account_id", rows=_rows(unknown)))


def check_panel_size(arr: pd.DataFrame, path: Path, problems: list[Problem]) -> None:
    """Refuse accounts x months above :data:`MAX_PANEL_CELLS` before the panel is built."""
    if arr.empty:
        return
    ordinals = np.asarray(arr["month"].array.asi8, dtype="int64")
    months = int(ordinals.max() - ordinals.min()) + 1
    accounts = int(arr["account_id"].nunique())
    if accounts * months > MAX_PANEL_CELLS:
        problems.append(Problem(
            str(path), f"{accounts:,} accounts over {months:,} months "
            f"({arr['month'].min()} to {arr['month'].max()}) make {accounts * months:,} "
            f"account-months, above the budget of {MAX_PANEL_CELLS:,} "
            f"({size_text(8 * accounts * months)} of memory for the ARR panel alone).",
            "Check the months (a year typed wrongly stretches the range), or keep fewer "
            "years.", column="month"))


def check_months(arr: pd.DataFrame, path: Path, problems: list[Problem], now: int) -> None:
    """Refuse ARR of months after the run's month ``now`` (a month number of
    :mod:`csmodels.inputs.months`) and months with no rows at all between the table's
    first and last month, by the rules of that module, each problem naming its rows."""
    if arr.empty:
        return
    # a Period's ordinal counts months from 1970-01; the rules number them from year 0
    numbers = np.asarray(arr["month"].array.asi8, dtype="int64") + _EPOCH
    months, counts = np.unique(numbers, return_counts=True)
    rows = dict(zip(months.tolist(), counts.tolist(), strict=True))
    for problem in month_problems(rows, now):
        low = -np.inf if problem.low is None else problem.low
        high = np.inf if problem.high is None else problem.high
        problems.append(Problem(str(path), problem.message, problem.hint, column="month",
                                rows=_rows((numbers >= low) & (numbers <= high))))


_EPOCH = 1970 * 12
