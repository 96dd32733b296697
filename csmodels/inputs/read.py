"""Reading one table file as a frame of text, within the budgets.

:func:`read_any` reads a CSV (UTF-8, comma-separated: the canonical format), a
delimited text file described by ``mapping.yml`` (encoding and delimiter given or
detected: :func:`read_text_table`), an ``.xlsx`` workbook (checked for zip and XML
bombs first: :func:`check_workbook`) or a Parquet file, every cell as text. Each
budget of :mod:`csmodels.inputs.limits` is checked before the work it bounds; a file
that cannot be read raises :class:`~csmodels.inputs.limits.Unreadable` with what to
do, and :func:`read_raw` turns that into a :class:`~csmodels.exceptions.Problem`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd

from ..exceptions import Problem
from .limits import (
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_HEADER_BYTES,
    MAX_INFLATE_RATIO,
    MAX_UNCOMPRESSED_BYTES,
    Unreadable,
    open_regular,
    short,
    size_text,
)
from .mapping import DELIMITERS, TableMapping

# Bytes cp1252 leaves undefined: a file holding them is neither UTF-8 nor cp1252.
_CP1252_HOLES = frozenset(b"\x81\x8d\x8f\x90\x9d")


def read_raw(path: Path, problems: list[Problem],
             options: TableMapping | None = None) -> pd.DataFrame | None:
    """The file's cells as stripped strings (blank for missing), or None on failure."""
    try:
        frame = read_any(path, options)
    except Unreadable as err:
        problems.append(Problem(str(path), err.message, err.hint))
        return None
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as err:  # corrupt files
        problems.append(Problem(str(path), f"The file cannot be read ({short(err)}).",
                                "Export the table again, as CSV (UTF-8)."))
        return None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    try:
        check_column_names(frame.columns)
    except Unreadable as err:
        problems.append(Problem(str(path), err.message, err.hint))
        return None
    return frame.apply(lambda s: s.astype("string").str.strip().fillna(""))


def read_any(path: Path, options: TableMapping | None = None,
             nrows: int | None = None) -> pd.DataFrame:
    """A table file as a frame of text, by its suffix, within the budgets of
    :mod:`csmodels.inputs.limits`. Raises :class:`~csmodels.inputs.limits.Unreadable`
    with what to do (or ``ValueError``/``OSError`` for a file the CSV reader chokes on)."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".xlsx"):
        reader = _read_parquet if suffix == ".parquet" else _read_xlsx
        try:
            return reader(path, options, nrows)
        except Unreadable:
            raise
        except ImportError as err:
            raise Unreadable(f"Reading this kind of file needs a package: {err}.",
                             "Save the table as CSV (UTF-8) instead.") from None
        except Exception as err:  # a hostile file may break the parser anywhere
            raise Unreadable(
                f"The file cannot be read ({type(err).__name__}: {short(err)}).",
                "Export the table again (or save it as CSV UTF-8).") from None
    if options is not None:
        return read_text_table(path, options, nrows)
    return _read_csv(path, nrows)


def check_column_names(names) -> None:
    """Refuse too many columns and repeated names, in time linear in the header."""
    names = list(names)
    if len(names) > MAX_COLUMNS:
        raise Unreadable(f"The file has {len(names):,} columns, above the "
                         f"{MAX_COLUMNS:,} csmodels reads.",
                         "Export only the columns the tables need.")
    counts = Counter(names)
    repeated = sorted(n for n, k in counts.items() if k > 1 and n)
    if repeated:
        shown = ", ".join(repr(n if len(n) <= 40 else n[:39] + "…") for n in repeated[:10])
        more = f" and {len(repeated) - 10} more" if len(repeated) > 10 else ""
        raise Unreadable(f"Column names appear twice: {shown}{more}.",
                         "Give every column a different name.")


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
        raise Unreadable(f"The file is not well-formed CSV ({short(err)}).",
                         "Check quoting and the number of fields on that line.") from None
    except csv.Error as err:
        raise Unreadable(f"The file is not well-formed CSV ({short(err)}).",
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
        raise Unreadable(f"The file is not well-formed CSV ({short(err)}).",
                         "Check quoting and the number of fields on that line.") from None


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
            raise Unreadable(
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
        raise Unreadable("The mapping names several sheets.", "Name one sheet.")
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
            raise Unreadable(
                f"The workbook unpacks to {size_text(total)}, above the "
                f"{size_text(MAX_UNCOMPRESSED_BYTES)} csmodels reads.",
                "Keep only the sheet and rows the book needs, or save it as CSV UTF-8.")
        for info in infos:
            if (info.file_size > (1 << 20)
                    and info.file_size > MAX_INFLATE_RATIO * max(info.compress_size, 1)):
                raise Unreadable(
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
        raise Unreadable(
            f"The workbook part {info.filename!r} has no content in its first 64 KiB.",
            "Save the table again from the spreadsheet program, or as CSV UTF-8.")
    if _DOCTYPE.search(text, 0, root.start() if root else len(text)):
        raise Unreadable(
            f"The workbook part {info.filename!r} declares a DOCTYPE or entities, which "
            "spreadsheets never need and XML attacks use.",
            "Save the table again from the spreadsheet program, or as CSV UTF-8.")


def _ascii(head: bytes) -> bytes:
    """An XML head as bytes a regex can search, whether it is UTF-8 or UTF-16."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return head.decode("utf-16", "replace").encode("utf-8", "replace")
    return head
