"""The package's own errors.

Every problem a reader can fix (a missing column, an impossible value, an unknown
option) is raised as a subclass of :class:`CsModelsError`. The command line turns
these into a message and exit code 2; anything else is a bug in ``csmodels``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


class CsModelsError(Exception):
    """Base class of every error a reader can fix by changing their input.

    Raised with one or more parts (what is wrong, then what to do), its text is
    those parts as sentences, never a Python tuple.

    >>> str(CsModelsError("GRR is 1.2.", "Give a value of at most 1"))
    'GRR is 1.2. Give a value of at most 1.'
    """

    def __str__(self) -> str:
        if len(self.args) == 1:
            return str(self.args[0])
        parts = [str(arg).strip() for arg in self.args]
        return " ".join(_sentence(p) for p in parts if p)


def _sentence(text: str) -> str:
    """``text`` ending with a full stop unless it already ends a sentence (or a list)."""
    return text if text.endswith((".", "!", "?", ":", ")")) else text + "."


@dataclass(frozen=True)
class Problem:
    """One problem found in a data folder: where it is and what to do about it.

    Parameters
    ----------
    file : str
        The file (or folder) the problem is in, as the reader named it.
    message : str
        What is wrong, in one sentence.
    hint : str
        What to do about it.
    column : str, optional
        The column, when the problem is in one.
    rows : tuple of int
        Row numbers as a spreadsheet shows them (the header is row 1).
    """

    file: str
    message: str
    hint: str
    column: str | None = None
    rows: tuple[int, ...] = ()

    def __str__(self) -> str:
        where = printable(self.file)
        if self.column is not None:
            where += f", column '{printable(self.column)}'"
        if self.rows:
            where += f", {_describe_rows(self.rows)}"
        return f"{where}: {printable(self.message)} {printable(self.hint)}"


# Unicode categories shown escaped: controls (ESC, NUL, newlines), format characters
# (right-to-left overrides, zero-width marks, BOMs), line and paragraph separators, and
# lone surrogates (a file name that is not UTF-8, which no terminal can print).
_ESCAPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def printable(text: str) -> str:
    r"""``text`` with every character a terminal would act on (or cannot print) escaped.

    Strings from a reader's data reach messages through this, so an escape sequence in a
    CSV header cannot recolour, retitle or rewrite the reader's terminal.

    >>> printable("arr\x1b[31m \u202eevil \udcff ok é")
    'arr\\x1b[31m \\u202eevil \\udcff ok é'
    """
    if text.isprintable() and text.isascii():
        return text
    return "".join(_escape(ch) if unicodedata.category(ch) in _ESCAPED else ch for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch in "\n\r\t":
        return repr(ch)[1:-1]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _describe_rows(rows: tuple[int, ...], show: int = 5) -> str:
    """'row 4', 'rows 4, 9 and 12' or 'rows 4, 9, 12, 15, 20 and 37 more'.

    >>> _describe_rows((4, 9, 12))
    'rows 4, 9 and 12'
    >>> _describe_rows(tuple(range(2, 10)))
    'rows 2, 3, 4, 5, 6 and 3 more'
    """
    listed = ", ".join(str(r) for r in rows[:show])
    if len(rows) == 1:
        return f"row {listed}"
    if len(rows) <= show:
        head, _, last = listed.rpartition(", ")
        return f"rows {head} and {last}"
    return f"rows {listed} and {len(rows) - show} more"


class DataError(CsModelsError):
    """A data folder that cannot be used as it is; holds one :class:`Problem` per issue."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self._text())

    def _text(self) -> str:
        n = len(self.problems)
        head = "1 problem" if n == 1 else f"{n} problems"
        return (
            f"The data cannot be used as it is ({head}; rows are counted as a spreadsheet"
            " shows them, the header being row 1):\n" + "\n".join(f"- {p}" for p in self.problems)
        )


class ParameterError(CsModelsError, ValueError):
    """A parameter or profile value outside what a model accepts."""


class RunError(CsModelsError):
    """A chapter or the site build failed on the reader's data, or the book's sources
    are not where ``csmodels rerun`` and ``book`` look for them."""
