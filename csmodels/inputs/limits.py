"""The budgets of reading a data folder, in one place.

A data folder may come from anyone: a client's export, a student's assignment. Each
budget below bounds the work or the memory one file can ask for, so a hostile or
broken file ends in a clear message (exit code 2) instead of minutes of work or an
exhausted machine. They are the book's own choices, not taken from a source, set far
above what a real company's exports need (the benchmarks' million-account company,
513 MB of CSV and 36 million account-months, stays inside every one of them). The
data dictionary (``data/README.md``, "Budgets") lists them for readers.

The helpers open a reader's file only if it is a regular file (:func:`open_regular`),
and :class:`Unreadable` is how every reader of :mod:`csmodels.inputs` refuses a file
it cannot read as it is, with what to do.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MIB = 1 << 20

MAX_FILE_BYTES = 4 << 30
"""A table file larger than 4 GiB is refused before it is read."""

MAX_HEADER_BYTES = 1 * MIB
"""A header row (the first line of a CSV) longer than 1 MiB is refused; shorter ones are
read whole."""

MAX_COLUMNS = 5_000
"""A table with more than 5,000 columns is refused (real exports have a few hundred)."""

MAX_UNCOMPRESSED_BYTES = 256 * MIB
"""An ``.xlsx`` workbook whose parts unpack to more than 256 MiB, or a Parquet file whose
columns decompress to more than that, is refused before it is unpacked."""

MAX_INFLATE_RATIO = 100
"""A part of an ``.xlsx`` workbook (above 1 MiB unpacked) that unpacks to more than 100
times its packed size is refused: spreadsheet XML packs about 5 to 20 times, a 'zip
bomb' thousands of times."""

MAX_YAML_BYTES = 1 * MIB
"""A ``mapping.yml`` or ``profile.yml`` larger than 1 MiB is refused; in either, YAML
aliases and anchors (``&a`` / ``*a``) are refused whatever the size."""

MAX_PANEL_CELLS = 150_000_000
"""Accounts x months (from the first month in ``arr_monthly`` to the last) above 150
million is refused: the ARR panel holds one 8-byte number per account-month, so 1.1 GiB
at the limit, and the metrics take a few times that while they run."""

MAX_AMOUNT = 1e15
"""An amount (ARR, opportunity amount) above a thousand trillion is a typing error; such
amounts would also overflow when summed."""

MAX_COUNT = 1e12
"""A count (users, seats) above a trillion is a typing error (and would overflow the
integer type)."""

FIRST_YEAR, LAST_YEAR = 1970, 2100
"""Dates and months outside these years are typing errors, not customers."""

BUDGETS = {
    "MAX_FILE_BYTES": MAX_FILE_BYTES, "MAX_HEADER_BYTES": MAX_HEADER_BYTES,
    "MAX_COLUMNS": MAX_COLUMNS, "MAX_UNCOMPRESSED_BYTES": MAX_UNCOMPRESSED_BYTES,
    "MAX_INFLATE_RATIO": MAX_INFLATE_RATIO,
    "MAX_YAML_BYTES": MAX_YAML_BYTES, "MAX_PANEL_CELLS": MAX_PANEL_CELLS,
    "MAX_AMOUNT": MAX_AMOUNT, "MAX_COUNT": MAX_COUNT, "FIRST_YEAR": FIRST_YEAR,
    "LAST_YEAR": LAST_YEAR,
}


def size_text(n: float) -> str:
    """A byte count for a message.

    >>> size_text(MAX_UNCOMPRESSED_BYTES), size_text(4 << 30), size_text(1536)
    ('256 MiB', '4 GiB', '1.5 KiB')
    """
    for unit, scale in (("GiB", 1 << 30), ("MiB", MIB), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{int(n)} bytes"


class NotRegular(Exception):
    """A path that is not a regular file (a FIFO, a device, a socket, a folder)."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def file_kind(mode: int) -> str:
    """What a ``stat`` mode is, in words."""
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def open_regular(path: Path):
    """``path`` opened for reading if it is a regular file; :class:`NotRegular` if not.

    It opens without blocking (a FIFO would wait for a writer) and checks the open file
    itself, so a file swapped after a check cannot slip through.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotRegular(file_kind(mode))
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


class Unreadable(Exception):
    """A file that cannot be read as it is; ``message`` and ``hint`` for a
    :class:`~csmodels.exceptions.Problem`."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message, self.hint = message, hint


def short(err: Exception, limit: int = 160) -> str:
    """An error's text on one line, at most ``limit`` characters, for a message.

    >>> short(ValueError("line 1\\n  line 2")), len(short(ValueError("x" * 500)))
    ('line 1 line 2', 160)
    """
    text = " ".join(str(err).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
