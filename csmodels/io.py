"""Reading a company's data folder and checking it against :mod:`csmodels.schema`.

:func:`load_company` reads every table it finds, checks each against its spec and
either returns a :class:`Company` of clean, typed tables or raises one
:class:`~csmodels.exceptions.DataError` listing every problem (file, column, rows
and what to do). It only ever reads: the folder is never written to.

A folder with a ``mapping.yml`` (:mod:`csmodels.exports`) is read as real exports:
the reader's file and column names, any common delimiter and encoding, dates,
months and amounts in common formats, MRR instead of ARR. Without one, files must
be in the canonical format, and clean CSV files take the fast path.

:func:`neutralise_formulas` is the one helper every CSV or spreadsheet the package
writes goes through, so no cell it writes can run as a spreadsheet formula.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import os
import re
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import exports
from .exceptions import DataError, Problem
from .exports import Unreadable
from .fastpath import read_clean_table
from .limits import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_AMOUNT,
    MAX_COLUMNS,
    MAX_COUNT,
    MAX_FILE_BYTES,
    MAX_HEADER_BYTES,
    MAX_INFLATE_RATIO,
    MAX_PANEL_CELLS,
    MAX_UNCOMPRESSED_BYTES,
    NotRegular,
    open_regular,
    size_text,
)
from .schema import DATE_ORDER, TABLES, Column, Table

SUFFIXES = (".csv", ".parquet", ".xlsx")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")  # what a mapping file may name besides these
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_FIRST_YEAR, _LAST_YEAR = FIRST_YEAR, LAST_YEAR


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
        as ``.csv`` (UTF-8), ``.parquet`` or ``.xlsx``; or real exports described by a
        ``mapping.yml`` in the folder (:mod:`csmodels.exports`).

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
    check_utf8_name(folder, "data folder")
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is a file, not a folder"
        raise DataError([Problem(str(folder), f"The data folder {what}.",
                                 "Give the folder that holds arr_monthly.csv.")])
    mapping = exports.load_mapping(folder)
    problems: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    absent: dict[str, tuple[str, ...]] = {}
    for table, path, options in _table_files(folder, mapping, problems):
        clean = read_clean_table(path, table) if path.suffix == ".csv" and not mapping else None
        if clean is not None:  # the fast path; anything unusual takes the general one below
            tables[table.name], present = clean
            absent[table.name] = tuple(c.name for c in table.columns if c.name not in present)
            continue
        raw = _read_raw(path, problems, options)
        if raw is None:
            continue
        if options is not None:
            raw = _apply_mapping(raw, table, options, path, problems)
            if raw is None:
                continue
        parsed = _check_table(raw, table, path, problems)
        if parsed is not None:
            tables[table.name] = parsed
            absent[table.name] = tuple(c.name for c in table.columns if c.name not in raw.columns)
    _check_across_tables(tables, folder, problems)
    if "arr_monthly" in tables:
        _check_panel_size(tables["arr_monthly"], _path_of(folder, "arr_monthly"), problems)
    if problems:
        raise DataError(problems)
    return Company(folder=folder, absent_columns=absent, **tables)


def _table_files(folder: Path, mapping: exports.Mapping | None, problems: list[Problem]):
    """(table, file, mapping options) for each table the folder has, every file checked
    to be a regular, readable file inside the folder and within the size budget."""
    for table in TABLES.values():
        options = mapping.for_table(table.name) if mapping else None
        path = (_mapped_file(folder, table, options, problems) if options and options.file
                else _find_table_file(folder, table, problems))
        if path is not None and _check_file(folder, path, table, problems):
            yield table, path, options


def check_utf8_name(path: Path, what: str) -> None:
    """Refuse a path whose name is not UTF-8 text: it cannot be shown on a page or in a
    terminal as it is (Python keeps such bytes as lone surrogates)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        raise DataError([Problem(str(path), f"The {what}'s name is not UTF-8 text.",
                                 "Rename it with letters, digits, spaces, dots, dashes or "
                                 "underscores.")]) from None


def _check_file(folder: Path, path: Path, table: Table, problems: list[Problem]) -> bool:
    """Whether ``path`` is a regular file the run may read: inside the data folder (a
    link out of it is refused, so a folder cannot make csmodels show another file's
    contents), not a pipe or device, readable, and at most :data:`MAX_FILE_BYTES`."""
    def refuse(message: str, hint: str) -> bool:
        problems.append(Problem(str(path), message, hint))
        return False

    if path.is_symlink():
        target = _resolved(path)
        if target is None:
            return refuse("This is a link that leads round in a loop.",
                          f"Put the {table.name} table itself here, as a file.")
        if folder.resolve() not in target.parents:
            return refuse("This is a link to a file outside the data folder.",
                          f"Put the {table.name} table itself in the folder, as a file.")
        if not target.exists():
            return refuse("This is a link to a file that does not exist.",
                          f"Put the {table.name} table itself here, as a file.")
    try:
        with open_regular(path) as fh:
            size = os.fstat(fh.fileno()).st_size
    except NotRegular as err:
        what = "a folder" if err.kind == "a folder" else err.kind
        return refuse(f"This is {what}, not a file.",
                      f"Put the {table.name} table itself here, as a file.")
    except PermissionError:
        return refuse("csmodels may not read this file (permission denied).",
                      "Give yourself read access to it (chmod u+r), or copy it.")
    except OSError as err:
        return refuse(f"The file cannot be opened ({err.strerror}).",
                      f"Put the {table.name} table itself here, as a file.")
    if size > MAX_FILE_BYTES:
        return refuse(f"The file is {size_text(size)}, above the {size_text(MAX_FILE_BYTES)} "
                      "csmodels reads.", "Keep only the rows the book needs (for example the "
                      "last few years), or split the company.")
    return True


def _resolved(path: Path) -> Path | None:
    """Where ``path`` leads once every link is followed; None for a loop of links."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


def _inside(folder: Path, path: Path) -> bool:
    target = _resolved(path)
    return target is not None and folder.resolve() in target.parents


def _check_panel_size(arr: pd.DataFrame, path: Path, problems: list[Problem]) -> None:
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


# --------------------------------------------------------------------------- files


def _find_table_file(folder: Path, table: Table, problems: list[Problem]) -> Path | None:
    candidates = [folder / f"{table.name}{suffix}" for suffix in SUFFIXES]
    found = [p for p in candidates if os.path.lexists(p)]
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
    return found[0]


def _mapped_file(folder: Path, table: Table, options: exports.TableMapping,
                 problems: list[Problem]) -> Path | None:
    """The file mapping.yml names for ``table``: inside the folder, and there."""
    where = str(folder / exports.MAPPING_FILE)
    path = folder / options.file
    inside = _inside(folder, path)
    if not inside or path.suffix.lower() not in SUFFIXES + TEXT_SUFFIXES:
        problems.append(Problem(where, f"tables.{table.name}.file is {options.file!r}.",
                                "Name a .csv, .tsv, .txt, .xlsx or .parquet file in the data "
                                "folder itself."))
        return None
    if not os.path.lexists(path):
        problems.append(Problem(where, f"tables.{table.name}.file names {options.file!r}, "
                                "which is not in the data folder.",
                                "Correct the file name (it is case-sensitive)."))
        return None
    return path


def _read_raw(path: Path, problems: list[Problem],
              options: exports.TableMapping | None = None) -> pd.DataFrame | None:
    """The file's cells as stripped strings (blank for missing), or None on failure."""
    try:
        frame = read_any(path, options)
    except exports.Unreadable as err:
        problems.append(Problem(str(path), err.message, err.hint))
        return None
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as err:  # corrupt files
        problems.append(Problem(str(path), f"The file cannot be read ({_short(err)}).",
                                "Export the table again, as CSV (UTF-8)."))
        return None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    try:
        check_column_names(frame.columns)
    except exports.Unreadable as err:
        problems.append(Problem(str(path), err.message, err.hint))
        return None
    return frame.apply(lambda s: s.astype("string").str.strip().fillna(""))


def read_any(path: Path, options: exports.TableMapping | None = None,
             nrows: int | None = None) -> pd.DataFrame:
    """A table file as a frame of text, by its suffix, within the budgets of
    :mod:`csmodels.limits`. Raises :class:`~csmodels.exports.Unreadable` with what to do
    (or ``ValueError``/``OSError`` for a file the CSV reader chokes on)."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".xlsx"):
        reader = _read_parquet if suffix == ".parquet" else _read_xlsx
        try:
            return reader(path, options, nrows)
        except exports.Unreadable:
            raise
        except ImportError as err:
            raise exports.Unreadable(f"Reading this kind of file needs a package: {err}.",
                                     "Save the table as CSV (UTF-8) instead.") from None
        except Exception as err:  # a hostile file may break the parser anywhere
            raise exports.Unreadable(
                f"The file cannot be read ({type(err).__name__}: {_short(err)}).",
                "Export the table again (or save it as CSV UTF-8).") from None
    if options is not None:
        return exports.read_text_table(path, options, nrows)
    return _read_csv(path, nrows)


def check_column_names(names) -> None:
    """Refuse too many columns and repeated names, in time linear in the header."""
    names = list(names)
    if len(names) > MAX_COLUMNS:
        raise exports.Unreadable(f"The file has {len(names):,} columns, above the "
                                 f"{MAX_COLUMNS:,} csmodels reads.",
                                 "Export only the columns the tables need.")
    counts = Counter(names)
    repeated = sorted(n for n, k in counts.items() if k > 1 and n)
    if repeated:
        shown = ", ".join(repr(n if len(n) <= 40 else n[:39] + "…") for n in repeated[:10])
        more = f" and {len(repeated) - 10} more" if len(repeated) > 10 else ""
        raise exports.Unreadable(f"Column names appear twice: {shown}{more}.",
                                 "Give every column a different name.")


def _read_parquet(path: Path, options, nrows: int | None) -> pd.DataFrame:
    """Parquet as text, its pandas metadata ignored (a file may name any dtype there)."""
    import pyarrow.parquet as pq

    with open_regular(path) as fh:
        parquet = pq.ParquetFile(fh)
        meta = parquet.metadata
        unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if meta.num_columns > MAX_COLUMNS:
            check_column_names(range(meta.num_columns))
        if unpacked > MAX_UNCOMPRESSED_BYTES:
            raise exports.Unreadable(
                f"The file unpacks to {size_text(unpacked)}, above the "
                f"{size_text(MAX_UNCOMPRESSED_BYTES)} csmodels reads from a Parquet file.",
                "Keep only the rows and columns the book needs, or save it as CSV.")
        table = parquet.read()
    frame = table.to_pandas(ignore_metadata=True, types_mapper=None)
    frame = frame.drop(columns=[c for c in frame.columns
                                if re.fullmatch(r"__index_level_\d+__", str(c))])
    frame = frame.head(nrows) if nrows is not None else frame
    return frame.astype("string").fillna("")


def _read_xlsx(path: Path, options, nrows: int | None) -> pd.DataFrame:
    sheet = options.sheet if options is not None and options.sheet is not None else 0
    with open_regular(path) as fh:
        check_workbook(fh)
        fh.seek(0)
        frame = pd.read_excel(fh, dtype=str, keep_default_na=False, sheet_name=sheet,
                              nrows=nrows, engine="openpyxl")
    if isinstance(frame, dict):  # a list of sheets slipped through: never merge them
        raise exports.Unreadable("The mapping names several sheets.", "Name one sheet.")
    return frame


_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT = re.compile(rb"<[A-Za-z_]")


def check_workbook(fh) -> None:
    """Refuse an ``.xlsx`` that would unpack beyond :data:`MAX_UNCOMPRESSED_BYTES`, holds
    a part packed more than :data:`MAX_INFLATE_RATIO` times, or declares a DOCTYPE or
    entities (which spreadsheet files never need and XML bombs use)."""
    with zipfile.ZipFile(fh) as archive:
        infos = archive.infolist()
        total = sum(info.file_size for info in infos)
        if total > MAX_UNCOMPRESSED_BYTES:
            raise exports.Unreadable(
                f"The workbook unpacks to {size_text(total)}, above the "
                f"{size_text(MAX_UNCOMPRESSED_BYTES)} csmodels reads.",
                "Keep only the sheet and rows the book needs, or save it as CSV UTF-8.")
        for info in infos:
            if (info.file_size > (1 << 20)
                    and info.file_size > MAX_INFLATE_RATIO * max(info.compress_size, 1)):
                raise exports.Unreadable(
                    f"The workbook part {info.filename!r} unpacks to "
                    f"{info.file_size // max(info.compress_size, 1):,} times its size, above "
                    f"the {MAX_INFLATE_RATIO} times a spreadsheet needs (a 'zip bomb'?).",
                    "Save the table again from the spreadsheet program, or as CSV UTF-8.")
            if info.filename.lower().endswith((".xml", ".rels", ".vml")):
                _check_prolog(archive, info)


def _check_prolog(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Read an XML part up to its root element (64 KiB at most) and refuse a DOCTYPE or
    an entity declared before it."""
    head = b""
    with archive.open(info) as part:
        while len(head) < 65536 and (block := part.read(4096)):
            head += block
            if _ROOT.search(_ascii(head)):
                break
    text = _ascii(head)
    root = _ROOT.search(text)
    if root is None and len(head) >= 65536:
        raise exports.Unreadable(
            f"The workbook part {info.filename!r} has no content in its first 64 KiB.",
            "Save the table again from the spreadsheet program, or as CSV UTF-8.")
    if _DOCTYPE.search(text, 0, root.start() if root else len(text)):
        raise exports.Unreadable(
            f"The workbook part {info.filename!r} declares a DOCTYPE or entities, which "
            "spreadsheets never need and XML attacks use.",
            "Save the table again from the spreadsheet program, or as CSV UTF-8.")


def _ascii(head: bytes) -> bytes:
    """An XML head as bytes a regex can search, whether it is UTF-8 or UTF-16."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return head.decode("utf-16", "replace").encode("utf-8", "replace")
    return head


def _read_csv(path: Path, nrows: int | None = None) -> pd.DataFrame:
    with open_regular(path) as fh:
        head = fh.read(65536)
        header = head.split(b"\n", 1)[0] if b"\n" in head else head + fh.readline(
            MAX_HEADER_BYTES)
    if not head.strip():
        raise Unreadable("The file is empty.", "Export the table again, with its header row.")
    if b"\x00" in head:
        raise Unreadable("This is not a text file (it holds binary data).",
                         "Export the table as CSV (UTF-8).")
    _check_header_names(header)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                            skip_blank_lines=True, nrows=nrows)
    except UnicodeDecodeError as err:
        raise Unreadable(f"The file is not UTF-8 text (byte {err.start} cannot be read).",
                         "Save it as 'CSV UTF-8' (in Excel: Save As, CSV UTF-8), or add a "
                         "mapping.yml to the folder (csmodels mapping-template).") from None
    except pd.errors.ParserError as err:
        raise Unreadable(f"The file is not well-formed CSV ({_short(err)}).",
                         "Check quoting and the number of fields on that line.") from None
    except csv.Error as err:
        raise Unreadable(f"The file is not well-formed CSV ({_short(err)}).",
                         "Export the table again as CSV.") from None
    if len(frame.columns) == 1:
        delimiter = _guess_other_delimiter(head)
        if delimiter:
            raise Unreadable(f"The columns are separated by {delimiter}, not by commas.",
                             "Export the table again with comma separators, or add a "
                             "mapping.yml to the folder (csmodels mapping-template).")
    return frame


def _check_header_names(header: bytes) -> None:
    """Refuse an over-long header, too many columns and repeated names before pandas
    renames the second 'arr' to 'arr.1'; ``header`` is the whole first line (or
    :data:`MAX_HEADER_BYTES` of it, if it is longer)."""
    if len(header.rstrip(b"\r\n")) > MAX_HEADER_BYTES:
        raise Unreadable(f"The header row is longer than {size_text(MAX_HEADER_BYTES)}.",
                         "Check that the file has line breaks and real column names; "
                         "export it again.")
    line = header.decode("utf-8-sig", "replace").rstrip("\r\n")
    try:
        names = [n.strip().lower() for n in next(csv.reader([line]), [])]
    except csv.Error:
        return  # the CSV reader explains it with the line
    check_column_names(names)


def _guess_other_delimiter(head: bytes) -> str | None:
    first_line = head.splitlines()[0].decode("utf-8", "replace")
    names = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}
    return next((name for d, name in names.items() if d in first_line), None)


def _short(err: Exception, limit: int = 160) -> str:
    text = " ".join(str(err).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------------- exports


def canonical_name(header: str) -> str:
    """A header as a canonical column name would be written.

    >>> canonical_name(" Account ID "), canonical_name("Contract-Start")
    ('account_id', 'contract_start')
    """
    return "_".join(re.split(r"[\s\-_.]+", header.strip().lower())).strip("_")


def _apply_mapping(raw: pd.DataFrame, table: Table, options: exports.TableMapping, path: Path,
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


def _normalise(text: pd.Series, column: Column, table: Table, options: exports.TableMapping,
               path: Path) -> pd.Series:
    if column.kind == "date":
        return exports.normalise_dates(text, options.date_order, str(path), column.name)
    if column.kind == "month":
        return exports.normalise_months(text, options.date_order, str(path), column.name)
    if column.kind == "amount":
        mrr = options.amounts_are_mrr and table.name == "arr_monthly"
        return exports.normalise_amounts(text, options.decimal, 12.0 if mrr else 1.0)
    if column.kind == "count":
        return exports.normalise_amounts(text, options.decimal).str.replace(
            r"\.0$", "", regex=True)
    return text


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
    """The input-table files of ``folder`` the loader would read, in schema order."""
    yield from (p for p in input_files(folder) if p.suffix.lower() != ".yml")


def input_files(folder: str | Path) -> list[Path]:
    """The files :func:`load_company` reads in ``folder``: ``mapping.yml`` if there is
    one, each table's file (as the mapping names it, or by its canonical name), and the
    ``profile.yml`` a run reads by default. Only regular files inside the folder count.

    >>> [p.name for p in input_files("data/sample")][:3]
    ['accounts.csv', 'arr_monthly.csv', 'nps_responses.csv']
    """
    folder = Path(folder)
    mapping = exports.load_mapping(folder)
    ignored: list[Problem] = []
    files = [path for _, path, _ in _table_files(folder, mapping, ignored)]
    for name in (exports.MAPPING_FILE, "profile.yml"):
        path = folder / name
        if path.is_file() and not path.is_symlink():
            files.append(path)
    return files


def folder_fingerprint(folder: str | Path) -> str:
    """A sha256 over the relative path and bytes of each file the run reads
    (:func:`input_files`): the same data, the same print. Stray files in the folder
    (a backup, a huge log, a pipe) are neither read nor followed.

    >>> len(folder_fingerprint("data/sample"))
    64
    """
    folder = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(input_files(folder), key=lambda p: p.name):
        digest.update(path.relative_to(folder).as_posix().encode("utf-8", "backslashreplace")
                      + b"\0")
        with open_regular(path) as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


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
    frame = read_any(path, exports.TableMapping(), nrows=200)
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
                   and _inside(folder, p) and p.is_file())
    read, problems = {}, []
    for path in files:
        if not _utf8(path.name):
            problems.append(Problem(str(path), "The file's name is not UTF-8 text.",
                                    "Rename it with letters, digits, spaces, dots, dashes or "
                                    "underscores, or move it out of the folder."))
            continue
        try:
            read[path] = _headers(path)
        except exports.Unreadable as err:
            problems.append(Problem(str(path), err.message, err.hint
                                    + " Or move the file out of the folder."))
        except NotRegular as err:
            problems.append(Problem(str(path), f"This is {err.kind}, not a file.",
                                    "Move it out of the folder."))
        except (ValueError, OSError) as err:
            problems.append(Problem(str(path), f"The file cannot be read ({_short(err)}).",
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
