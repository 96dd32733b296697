"""Finding the files of a data folder, each checked before anything reads it.

For each table of :data:`~csmodels.inputs.schema.TABLES`, :func:`table_files` finds its
file (by its canonical name, or as ``mapping.yml`` names it) and checks that it is a
regular, readable file inside the folder and within the size budget; a link out of the
folder, a pipe or a device is refused with what to do. :func:`input_files` lists what a
run reads and :func:`folder_fingerprint` hashes it, for the provenance of a rerun page.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from ..exceptions import DataError, Problem
from .limits import MAX_FILE_BYTES, NotRegular, open_regular, size_text
from .mapping import MAPPING_FILE, Mapping, TableMapping, load_mapping
from .schema import TABLES, Table

SUFFIXES = (".csv", ".parquet", ".xlsx")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")  # what a mapping file may name besides these


def table_files(folder: Path, mapping: Mapping | None,
                problems: list[Problem]) -> Iterator[tuple[Table, Path, TableMapping | None]]:
    """(table, file, mapping options) for each table the folder has, every file checked
    to be a regular, readable file inside the folder and within the size budget."""
    for table in TABLES.values():
        options = mapping.for_table(table.name) if mapping else None
        path = (mapped_file(folder, table, options, problems) if options and options.file
                else find_table_file(folder, table, problems))
        if path is not None and check_file(folder, path, table, problems):
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


def check_file(folder: Path, path: Path, table: Table, problems: list[Problem]) -> bool:
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


def inside(folder: Path, path: Path) -> bool:
    target = _resolved(path)
    return target is not None and folder.resolve() in target.parents


def find_table_file(folder: Path, table: Table, problems: list[Problem]) -> Path | None:
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


def mapped_file(folder: Path, table: Table, options: TableMapping,
                problems: list[Problem]) -> Path | None:
    """The file mapping.yml names for ``table``: inside the folder, and there."""
    where = str(folder / MAPPING_FILE)
    path = folder / options.file
    if not inside(folder, path) or path.suffix.lower() not in SUFFIXES + TEXT_SUFFIXES:
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


def input_files(folder: str | Path) -> list[Path]:
    """The files :func:`load_company` reads in ``folder``: ``mapping.yml`` if there is
    one, each table's file (as the mapping names it, or by its canonical name), and the
    ``profile.yml`` a run reads by default. Only regular files inside the folder count.

    >>> [p.name for p in input_files("data/sample")][:3]
    ['accounts.csv', 'arr_monthly.csv', 'nps_responses.csv']
    """
    folder = Path(folder)
    mapping = load_mapping(folder)
    ignored: list[Problem] = []
    files = [path for _, path, _ in table_files(folder, mapping, ignored)]
    for name in (MAPPING_FILE, "profile.yml"):
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
