"""The loader's two rules on the months of ``arr_monthly``, decided and worded once.

An export cannot hold ARR of a month after the run's month, and no month between the
first and the last may lack every row: either is a mistyped month or missing data, and
either would move the month the metrics are "as of". Both are decided here from the
table's distinct months and the rows each holds, which the loader
(:func:`csmodels.inputs.validate.check_months`, in pandas) and the engine's checks
(:mod:`csmodels.engine.sources`, in SQL) already have; each caller only turns a
:class:`MonthProblem`'s months into its rows. Nothing here needs pandas.

Months are numbered ``year * 12 + month - 1``, as the engine numbers them.

>>> [p.message[:40] for p in month_problems({2024 * 12: 3, 2024 * 12 + 3: 1}, 2025 * 12)]
['No row at all for 2024-02 to 2024-03, be']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import pairwise

from .._checks import shown
from ..exceptions import ParameterError

_FUTURE_HINT = "Correct those months, or remove those rows."
_GAP_HINT = "Fix the month of those rows, or export the missing months."


MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")  # YYYY-MM, the one way a month is typed


def month_number(text: str) -> int:
    """The number of a month written ``YYYY-MM`` (a reader's ``--as-of`` or ``-p as_of``);
    anything else (``2024-13``, ``2024Q2``, ``2024-6``, ``202406``, a date, blank) is refused.

    >>> month_number("2024-03") == 2024 * 12 + 2
    True
    >>> month_number("2024Q2")
    Traceback (most recent call last):
    ...
    csmodels.exceptions.ParameterError: The month '2024Q2' is not a month written YYYY-MM. \
Give it as 2025-06, for example.
    """
    if not isinstance(text, str) or not MONTH.fullmatch(text):
        raise ParameterError(f"The month {shown(text, 40)} is not a month written YYYY-MM.",
                             "Give it as 2025-06, for example.")
    return int(text[:4]) * 12 + int(text[5:]) - 1


def month_text(number: int) -> str:
    """A month number as ``YYYY-MM``.

    >>> month_text(2024 * 12 + 2)
    '2024-03'
    """
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def this_month(today: date | None = None) -> int:
    """The number of the run's month (``today``'s, default now in UTC): ARR of a later
    month is refused."""
    today = today or datetime.now(UTC).date()
    return today.year * 12 + today.month - 1


def breaks_rules(first: int, last: int, distinct: int, now: int) -> bool:
    """Whether months from ``first`` to ``last``, ``distinct`` of them up to ``now`` with
    rows, break a rule: the cheap test a caller runs before it counts the rows of each
    month for :func:`month_problems`.

    >>> breaks_rules(100, 111, 12, 200), breaks_rules(100, 111, 11, 200)
    (False, True)
    """
    return last > now or distinct < min(last, now) - first + 1


@dataclass(frozen=True)
class MonthProblem:
    """One broken rule: its message and hint, and the rows to name, those whose month is
    from ``low`` to ``high`` (``None``: no bound)."""

    message: str
    hint: str
    low: int | None
    high: int | None


def month_problems(rows: Mapping[int, int], now: int) -> list[MonthProblem]:
    """The broken rules of a table whose months hold ``rows`` (month number -> its rows,
    months with rows only) in a run of the month ``now``: the months after ``now``, then
    each run of months without rows between the first and the last month up to ``now``,
    naming the rows of the side of the gap with fewer of them (the later on a tie).

    >>> [(p.low, p.high) for p in month_problems({10: 1, 13: 5, 14: 5, 16: 1, 20: 2}, 18)]
    [(19, None), (None, 10), (16, 18)]
    """
    problems = []
    later = sorted(m for m in rows if m > now)
    if later:
        problems.append(MonthProblem(
            f"Some months are after this month, {month_text(now)} (found "
            f"{_found(later)}): an export cannot hold ARR of months that have not happened.",
            _FUTURE_HINT, now + 1, None))
    present = sorted(m for m in rows if m <= now)
    total = sum(rows[m] for m in present)
    before = 0  # rows of the months before the gap
    for earlier, after in pairwise(present):
        before += rows[earlier]
        if after - earlier < 2:
            continue
        gap = (earlier + 1, after - 1)
        span = month_text(gap[0]) + ("" if gap[0] == gap[1] else f" to {month_text(gap[1])}")
        side, low, high = (("after", after, now) if total - before <= before
                           else ("before", None, earlier))
        problems.append(MonthProblem(
            f"No row at all for {span}, between {month_text(present[0])} and "
            f"{month_text(present[-1])}: a month is mistyped or months are missing from the "
            f"export (the rows given are those of the months {side} the gap).",
            _GAP_HINT, low, high))
    return problems


def _found(months: list[int], shown: int = 3) -> str:
    """A few of ``months``, and the last of them where more are left out."""
    names = [repr(month_text(m)) for m in months]
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:shown])}, ... to {names[-1]}"
