"""The fast path for clean CSV files: read with pyarrow, validate in bulk.

Most files a reader gives are fine. For those, reading every cell as text and
parsing it column by column in pandas (what :mod:`csmodels.inputs.validate` does to explain
problems row by row) costs several times what the reading itself does. This
module reads a plain, UTF-8, comma-separated file with canonical headers using
pyarrow's multithreaded CSV reader and checks each column with whole-column
operations, parsing months and dates once per distinct value.

:func:`read_clean_table` returns the same typed table the general path would,
or ``None`` as soon as anything is unusual (other delimiter or encoding,
unknown header, a blank, a bad value, a duplicate key). ``None`` is not an
error: the caller then takes the general path, which finds and explains every
problem. So the fast path never needs an error message of its own, and a bug
in it can make loading slower but not more lenient, as long as it rejects what
it does not understand (the tests compare both paths on clean and broken data).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .limits import FIRST_YEAR, LAST_YEAR, MAX_AMOUNT, MAX_COUNT, MAX_HEADER_BYTES
from .schema import DATE_ORDER, Column, Table

_STRING = pd.StringDtype(na_value=pd.NA)


def read_clean_table(path: Path, table: Table) -> tuple[pd.DataFrame, list[str]] | None:
    """The parsed table and the file's columns if ``path`` is a clean canonical CSV.

    Parameters
    ----------
    path : Path
        A ``.csv`` file.
    table : csmodels.inputs.schema.Table
        The spec the file must meet.

    Returns
    -------
    (pandas.DataFrame, list of str) or None
        The table, with columns, dtypes and values exactly as
        :func:`csmodels.load_company`'s general path produces them, and the
        columns the file had; ``None`` when the file needs the general path.

    Examples
    --------
    >>> from csmodels.inputs.schema import TABLES
    >>> frame, present = read_clean_table(Path("data/sample/arr_monthly.csv"),
    ...                                   TABLES["arr_monthly"])
    >>> list(frame.dtypes.astype(str))
    ['string', 'period[M]', 'float64']
    """
    arrow = _read(path, table)
    if arrow is None or arrow.num_rows == 0:
        return None
    columns, codes = {}, {}
    for column in table.columns:
        if column.name not in arrow.column_names:
            columns[column.name] = _absent(column, arrow.num_rows)
            continue
        parsed = _PARSERS.get(column.kind, _reject)(arrow[column.name], column)
        if parsed is None:
            return None
        columns[column.name], codes[column.name] = parsed
    frame = pd.DataFrame(columns, copy=False)
    if _has_duplicate_key(table, codes) or not _dates_in_order(frame, table):
        return None
    return frame, arrow.column_names


def _read(path: Path, table: Table) -> pa.Table | None:
    """The file as a table of strings, or ``None`` if it is not plain canonical CSV."""
    with path.open("rb") as fh:
        header = fh.readline(MAX_HEADER_BYTES + 1)
    if len(header) > MAX_HEADER_BYTES:
        return None
    try:
        names = next(csv.reader([header.decode("utf-8", "replace").removeprefix("\ufeff")]),
                     [])
    except csv.Error:
        return None
    known = {c.name for c in table.columns}
    if any(n != n.strip().lower() or n not in known for n in names) or len(set(names)) < len(names):
        return None
    if not set(table.required_columns) <= set(names):
        return None
    try:
        return pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, OSError, UnicodeError):
        return None  # ragged rows, bad UTF-8 and the like: the general path explains them


def _absent(column: Column, rows: int) -> pd.Series:
    """An optional column the file lacks: empty, typed as the general path types it."""
    dtype = {"month": "period[M]", "date": "datetime64[us]", "amount": "float64",
             "count": "Int64", "score": "Int64", "bool": "boolean"}.get(column.kind, _STRING)
    return pd.Series(pd.NA if dtype in ("Int64", "boolean") or dtype is _STRING else None,
                     index=range(rows), dtype=dtype)


def _any_blank(values: pa.ChunkedArray) -> bool:
    return bool(pc.any(pc.equal(values, "")).as_py())


def _parse_text(values: pa.ChunkedArray, column: Column):
    """Text checked once per distinct value; the distinct-value codes serve the key check."""
    encoded = pc.dictionary_encode(values).combine_chunks()
    distinct = encoded.dictionary
    if not pc.all(pc.equal(pc.utf8_trim_whitespace(distinct), distinct)).as_py():
        return None  # padded values: the general path strips them
    has_blank = pc.any(pc.equal(distinct, "")).as_py()
    if has_blank and not column.blank_ok:
        return None
    series = pd.Series(pd.arrays.ArrowStringArray(values))
    if has_blank:
        series = series.mask(series == "")
    return series, encoded.indices.to_numpy(zero_copy_only=False)


def _parse_month(values: pa.ChunkedArray, column: Column) -> pd.Series | None:
    """Months parsed once per distinct value: a panel has few months and many rows."""
    encoded = pc.dictionary_encode(values).combine_chunks()
    texts = pd.Series(encoded.dictionary.to_pylist(), dtype=object)
    ok = texts.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])").astype(bool)
    if not ok.all():
        return None  # includes blanks, which months never allow
    years = texts.str[:4].astype(int)
    if not years.between(FIRST_YEAR, LAST_YEAR).all():
        return None
    ordinals = ((years - 1970) * 12 + texts.str[5:7].astype(int) - 1).to_numpy("int64")
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    return pd.Series(pd.PeriodIndex.from_ordinals(ordinals[codes], freq="M")), codes


def _parse_amount(values: pa.ChunkedArray, column: Column) -> pd.Series | None:
    numbers = _to_float(values, column)
    if numbers is None or (numbers < 0).any() or (numbers > MAX_AMOUNT).any():
        return None
    if column.positive and (numbers[~np.isnan(numbers)] == 0).any():
        return None
    return pd.Series(numbers), None


def _parse_count(values: pa.ChunkedArray, column: Column) -> pd.Series | None:
    numbers = _to_float(values, column)
    top = 10 if column.kind == "score" else MAX_COUNT
    if numbers is None:
        return None
    present = numbers[~np.isnan(numbers)]
    low = 1 if column.positive else 0
    if ((present < low) | (present > top) | (present != np.floor(present))).any():
        return None
    return pd.Series(numbers).astype("Int64"), None


def _to_float(values: pa.ChunkedArray, column: Column) -> np.ndarray | None:
    """Finite numbers, NaN for blanks; ``None`` for anything else ("nan", "inf", "$5")."""
    blank = pc.equal(values, "")
    blanks = pc.sum(blank).as_py() or 0
    if blanks:
        if not column.blank_ok:
            return None
        values = pc.if_else(blank, None, values)
    try:
        array = pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    finite = np.count_nonzero(np.isfinite(array))
    return array if finite == len(array) - blanks else None


def _parse_date(values: pa.ChunkedArray, column: Column) -> pd.Series | None:
    encoded = pc.dictionary_encode(values).combine_chunks()
    texts = pd.Series(encoded.dictionary.to_pylist(), dtype=object)
    blank = texts == ""
    if blank.any() and not column.blank_ok:
        return None
    dates = pd.to_datetime(texts.where(~blank), format="%Y-%m-%d", errors="coerce")
    parsed = dates.notna()
    if not (parsed | blank).all() or not dates[parsed].dt.year.between(
            FIRST_YEAR, LAST_YEAR).all():
        return None
    lookup = dates.astype("datetime64[us]").to_numpy()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    return pd.Series(lookup[codes]), codes


def _reject(values: pa.ChunkedArray, column: Column) -> None:
    """Kinds left to the general path (booleans, choices): small tables, rarely hot."""
    return None


_PARSERS = {"id": _parse_text, "text": _parse_text, "month": _parse_month,
            "date": _parse_date, "amount": _parse_amount, "count": _parse_count,
            "score": _parse_count}


def _has_duplicate_key(table: Table, codes: dict[str, np.ndarray | None]) -> bool:
    """Whether a key repeats, from the distinct-value codes of the key columns.

    The codes combine into one integer per row; marking each in a flag array
    counts the distinct keys in one pass, with no sort and no hash table.
    """
    if not table.key:
        return False
    combined = codes[table.key[0]].astype("int64")
    for name in table.key[1:]:
        combined *= int(codes[name].max()) + 1
        combined += codes[name]
    if combined.max() > 8 * len(combined) + 1_000_000:  # sparse keys: hashing is cheaper
        return bool(pd.Series(combined).duplicated().any())
    seen = np.zeros(int(combined.max()) + 1, dtype=bool)
    seen[combined] = True
    return np.count_nonzero(seen) < len(combined)


def _dates_in_order(frame: pd.DataFrame, table: Table) -> bool:
    return not any((frame[later] < frame[earlier]).any()
                   for name, earlier, later in DATE_ORDER if name == table.name)
