"""What each section of a chapter needs from the data, checked in one place.

Every check is a function of the data (and the chapter's parameters) that returns
``"ok"`` or the one sentence a page shows instead of the section: what is
missing and what would enable it. The chapters call these and, where a section
cannot run, glue none of its figures and display the sentence
(:func:`skipped`). When a rerun's page is built, :func:`prune_notebook` then drops
every paragraph, and every exercise with its solution, that refers to a figure
the chapter did not glue, so a page never shows "n/a" prose or an exercise its
data cannot answer. The data dictionary (``data/README.md``) lists the same needs.

>>> import pandas as pd
>>> from csmodels.metrics import ArrPanel
>>> frame = pd.DataFrame({"account_id": ["a", "a"], "month": ["2024-01", "2024-02"],
...                       "arr": [100.0, 100.0]})
>>> panel = ArrPanel.from_frame(frame.assign(month=pd.PeriodIndex(frame["month"], freq="M")))
>>> retention(panel, panel.months[-1], 12)[:60]
'Retention needs 12 months of history before the as-of month;'
"""

from __future__ import annotations

import copy
import html
import re

import numpy as np
import pandas as pd

from .metrics import ArrPanel

OK = "ok"


def _months(n: int) -> str:
    return f"{n} month{'' if n == 1 else 's'}"


def retention(panel: ArrPanel, month: pd.Period, lookback: int = 12) -> str:
    """NRR, GRR, logo churn and the benchmarks: ``lookback`` months of history before
    the as-of month, and someone paying at its start."""
    t = panel.column(month)
    if t < lookback:
        return (f"Retention needs {_months(lookback)} of history before the as-of month; "
                f"these data hold {_months(t + 1)} ({panel.months[0]} to {month}), so it is "
                f"skipped. Data going back to {month - lookback} would enable it.")
    if not (panel.values[:, t - lookback] > 0).any():
        return (f"Retention is skipped: no account paid in {month - lookback}, the base "
                "month it compares with. A later as-of month would enable it.")
    return OK


def revenue_base(panel: ArrPanel, month: pd.Period, nrr=None, grr=None,
                 what: str = "the projection") -> str:
    """The revenue-base projection and lifetime value (``what``): the trailing NRR and
    GRR, unless the reader gives both as parameters."""
    if nrr is not None and grr is not None:
        return OK
    first = retention(panel, month, 12)
    if first == OK:
        return OK
    return (first.replace(", so it is skipped.", f", so {what} is skipped.")
            .rstrip(".") + ", as would the chapter's nrr and grr parameters.")


def bookings(new_bookings: float) -> str:
    """Pricing a point of retention in bookings: new bookings above 0."""
    if new_bookings > 0:
        return OK
    return ("Pricing a point of retention in bookings is skipped: this company booked no new "
            "ARR in the 12 months to the as-of month. A planned figure in the new_bookings "
            "parameter would enable it.")


def survivor_cohorts(cohorts) -> str:
    """The retention model's cohorts: an account that started after the first data month."""
    if len(cohorts.windows):
        return OK
    return ("The retention model is skipped: its cohorts are accounts that started after the "
            "data's first month, and there are none here. Accounts signed inside the data "
            "would enable it.")


def compounded(panel: ArrPanel, month: pd.Period, lookback: int = 12) -> str:
    """Month-on-month retention compounded over the lookback: someone paying every month."""
    first = retention(panel, month, lookback)
    if first != OK:
        return first
    t = panel.column(month)
    if not (panel.values[:, t - lookback:t] > 0).any(axis=0).all():
        return ("The compounded monthly retention is skipped: in a month of the last year "
                "nobody paid the month before.")
    return OK


def bridge(panel: ArrPanel) -> str:
    """The ARR bridge: at least two months, so that one month can be compared with another."""
    if len(panel.months) < 2:
        return ("The ARR bridge needs at least two months of arr_monthly; these data hold one. "
                "Another month of data would enable it.")
    return OK


def cohorts(panel: ArrPanel, month: pd.Period, age: int = 12) -> str:
    """Cohort retention after ``age`` months: an account that started after the first data
    month (its start is known) at least ``age`` months before the as-of month."""
    t = panel.column(month)
    starts = _first_paying(panel)
    old_enough = (starts >= 1) & (starts <= t - age)
    if t - age < 1:
        return (f"The cohort table is skipped: it follows accounts that started after the "
                f"first data month for {_months(age)}, which takes {_months(age + 2)} of "
                f"arr_monthly up to the as-of month; these data hold {_months(t + 1)}. A "
                "longer history would enable it.")
    if not old_enough.any():
        return (f"The cohort table is skipped: it follows accounts that started after the "
                f"first data month ({panel.months[0]}) for {_months(age)}, and none here "
                f"started between {panel.months[0] + 1} and {month - age}. Accounts signed "
                f"{_months(age)} or more before the as-of month would enable it.")
    return OK


def _first_paying(panel: ArrPanel) -> np.ndarray:
    paying = panel.values > 0
    return np.where(paying.any(axis=1), paying.argmax(axis=1), -1)


def table(company, name: str, what: str) -> str:
    """An optional table a section reads."""
    if getattr(company, name) is not None:
        return OK
    from .inputs.schema import TABLES

    return (f"{what} is skipped: the data folder has no {name} table. Add {name}.csv "
            f"(columns {', '.join(TABLES[name].required_columns)}) to enable it.")


def nps(company, month: pd.Period, window: int) -> str:
    """NPS: responses in the window ending at the as-of month."""
    first = table(company, "nps_responses", "The Net Promoter Score")
    if first != OK:
        return first
    dates = pd.to_datetime(company.nps_responses["date"]).dt.to_period("M")
    if not ((dates > month - window) & (dates <= month)).any():
        return (f"The Net Promoter Score is skipped: no survey answer is dated in the "
                f"{_months(window)} to {month}. Answers in that window would enable it.")
    return OK


def health(test, min_renewals: int = 20) -> str:
    """The health score's test at renewal (``test``: a :class:`csmodels.health.RenewalTest`
    of the last window): at least ``min_renewals`` renewals, some churned, some renewed."""
    where = f"the renewals due from {test.first} to {test.last}"
    if test.renewals < min_renewals:
        return (f"The health score's test is skipped: it scores each account "
                f"{_months(test.lead_months)} before its renewal and {where} number "
                f"{test.renewals}, fewer than the {min_renewals} it needs for an AUC worth "
                "reading. A longer history, contract_start in accounts (the anniversaries of "
                "accounts paying from the first month) or a lower health_min_renewals would "
                "enable it.")
    if test.churned == 0 or test.churned == test.renewals:
        happened = "none" if test.churned == 0 else "all"
        return (f"The health score's test is skipped: of {where} ({test.renewals}), "
                f"{happened} churned, so there is nothing to tell apart. A window with both "
                "churned and renewed contracts would enable it.")
    return OK


# --------------------------------------------------------------------- on the page


def skipped(sentence: str):
    """The sentence a page shows in place of a section (as escaped HTML, never Markdown).

    >>> skipped("Needs <b>x</b>.").data
    '<p class="csmodels-skipped">Needs &lt;b&gt;x&lt;/b&gt;.</p>'
    """
    from IPython.display import HTML

    return HTML(f'<p class="csmodels-skipped">{html.escape(sentence)}</p>')


_GLUE = re.compile(r"\{glue(?::\w+)?\}`([^`]+)`")
_FENCE = re.compile(r"^(`{3,}|:{3,})\{(\w+)\}\s*(\S*)")


def _units(text: str) -> list[str]:
    """A Markdown cell as paragraphs and whole fenced directive blocks."""
    units, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match:
            end = i + 1
            while end < len(lines) and lines[end].strip() != match.group(1):
                end += 1
            units.append("\n".join(lines[i:end + 1]))
            i = end + 1
        elif lines[i].strip():
            end = i
            while end < len(lines) and lines[end].strip() and not _FENCE.match(lines[end]):
                end += 1
            units.append("\n".join(lines[i:end]))
            i = end
        else:
            i += 1
    return units


def _label(unit: str) -> tuple[str | None, str | None]:
    """(kind, label) of an exercise or solution block, else (None, None)."""
    match = _FENCE.match(unit)
    if not match or match.group(2) not in ("exercise", "solution"):
        return None, None
    if match.group(2) == "solution":
        return "solution", match.group(3)
    found = re.search(r"^:label:\s*(\S+)", unit, re.M)
    return "exercise", found.group(1) if found else None


def prune_notebook(nb):
    """A copy of an executed chapter without the prose of its skipped sections.

    A paragraph (or a fenced block) that refers to a glued figure the run did not
    glue is dropped; an exercise goes with its solution; the "Exercises" heading goes
    when no exercise is left. A cell that loses nothing stays as written.
    """
    nb = copy.deepcopy(nb)
    glued = {out.metadata["scrapbook"]["name"] for cell in nb.cells
             if cell.cell_type == "code" for out in cell.get("outputs", [])
             if "scrapbook" in out.get("metadata", {})}
    kept_cells = []
    for cell in nb.cells:
        if cell.cell_type != "markdown" or not _GLUE.search(cell.source):
            kept_cells.append(cell)
            continue
        units = _units(cell.source)
        gone = {_label(u)[1] for u in units if set(_GLUE.findall(u)) - glued and _label(u)[1]}
        kept = [u for u in units if not set(_GLUE.findall(u)) - glued
                and _label(u)[1] not in gone]
        if len(kept) == len(units):  # nothing dropped: the cell stays as written
            kept_cells.append(cell)
            continue
        cell.source = "\n\n".join(kept)
        if kept and not all(re.match(r"\(\S+\)=\s*$", u) for u in kept):
            kept_cells.append(cell)
    nb.cells = kept_cells
    if not any(_label(u)[0] == "exercise" for cell in nb.cells if cell.cell_type == "markdown"
               for u in _units(cell.source)):
        _drop_exercises_heading(nb)
    return nb


def _drop_exercises_heading(nb) -> None:
    """No exercise is left on the page: its "Exercises" heading goes too."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and re.search(r"^#+ Exercises\s*$", cell.source, re.M):
            units = _units(cell.source)
            cell.source = "\n\n".join(u for u in units if not re.match(r"#+ Exercises\s*$", u))
    nb.cells = [c for c in nb.cells if c.cell_type != "markdown" or c.source.strip()]


def kpi(company, key: str, summary) -> str:
    """A KPI of the metrics chapter read from an optional table
    (:data:`csmodels.table_kpis.TABLE_KPIS`, by its ``key``): its table, and rows in its
    window (``summary`` is a :class:`csmodels.MetricsSummary`)."""
    from .table_kpis import by_key

    declared = by_key(key)
    name, label = declared.table, declared.what
    first = table(company, name, label)
    if first != OK or getattr(summary, key) is not None:
        return first
    return (f"{label} is skipped: the {name} table has no rows in the window to "
            f"{summary.as_of} that it counts. Rows in that window would enable it.")


def rows(company, name: str, what: str) -> str:
    """A section that reads an optional table: the table, with at least one row."""
    first = table(company, name, what)
    if first != OK or len(getattr(company, name)):
        return first
    return (f"{what} is skipped: the {name} table has no rows. Rows in {name}.csv would "
            "enable it.")
